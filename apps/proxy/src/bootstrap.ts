import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Config, logLevels } from '@condorhub/config';
import { RuntimeModule } from '@condorhub/runtime';
import { ProxyAppModule } from './proxy-app.module';

/** The proxy on CONDORHUB_PROXY_PORT: the only URL browsers and notebooks need. */
export async function bootstrapProxy(config: Config): Promise<INestApplicationContext> {
  @Module({ imports: [RuntimeModule.forRoot({ service: 'proxy', config }), ProxyAppModule] })
  class ProxyApp {}
  const app = await NestFactory.createApplicationContext(ProxyApp, { logger: logLevels(config) });
  await app.init();
  return app;
}
