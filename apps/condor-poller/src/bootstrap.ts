import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Config, logLevels } from '@condorhub/config';
import { RuntimeModule } from '@condorhub/runtime';
import { CondorPollerModule } from './condor-poller.module';

export async function bootstrapCondorPoller(config: Config): Promise<INestApplicationContext> {
  @Module({
    imports: [
      RuntimeModule.forRoot({ service: 'condor-poller', config, metricsPort: config.CONDORHUB_POLLER_METRICS_PORT }),
      CondorPollerModule,
    ],
  })
  class CondorPollerApp {}
  const app = await NestFactory.createApplicationContext(CondorPollerApp, { logger: logLevels(config) });
  await app.init();
  return app;
}
