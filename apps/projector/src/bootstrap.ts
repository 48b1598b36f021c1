import { type INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Config, logLevels } from '@condorhub/config';
import { RuntimeModule } from '@condorhub/runtime';
import { ProjectorModule } from './projector.module';

export async function bootstrapProjector(config: Config): Promise<INestApplicationContext> {
  @Module({
    imports: [
      RuntimeModule.forRoot({
        service: 'projector',
        config,
        appendsEvents: false,
        metricsPort: config.CONDORHUB_PROJECTOR_METRICS_PORT,
      }),
      ProjectorModule,
    ],
  })
  class ProjectorApp {}
  const app = await NestFactory.createApplicationContext(ProjectorApp, { logger: logLevels(config) });
  await app.init();
  return app;
}
