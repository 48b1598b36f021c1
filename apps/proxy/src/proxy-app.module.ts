import { Module } from '@nestjs/common';
import { ProxyAppService } from './proxy-app.service';

@Module({ providers: [ProxyAppService], exports: [ProxyAppService] })
export class ProxyAppModule {}
