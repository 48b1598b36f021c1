import type { INestApplicationContext } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type Config, logLevels } from '@condorhub/config';
import { RuntimeModule, serveOpsEndpoints } from '@condorhub/runtime';
import { configureHubApp } from './configure-hub-app';
import { HubModule } from './hub.module';
import { hubMigrations } from './migrations';

/** The hub's HTTP server on CONDORHUB_HUB_PORT; its own tables are migrated with the store's. */
export async function bootstrapHub(config: Config): Promise<INestApplicationContext> {
  @Module({
    imports: [RuntimeModule.forRoot({ service: 'hub', config, migrations: hubMigrations }), HubModule.forRoot()],
  })
  class HubApp {}
  const app = await NestFactory.create<NestExpressApplication>(HubApp, {
    bodyParser: false,
    logger: logLevels(config),
  });
  serveOpsEndpoints(app);
  configureHubApp(app);
  await app.listen(config.CONDORHUB_HUB_PORT, config.CONDORHUB_BIND_HOST);
  return app;
}
