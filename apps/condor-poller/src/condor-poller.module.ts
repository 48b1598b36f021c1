import { Module } from '@nestjs/common';
import { CondorPollerService } from './condor-poller.service';

@Module({ providers: [CondorPollerService], exports: [CondorPollerService] })
export class CondorPollerModule {}
