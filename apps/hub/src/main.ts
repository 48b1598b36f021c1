import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Config } from '@condorhub/config';
import { CONFIG, RuntimeModule } from '@condorhub/runtime';
import { configureHubApp } from './configure-hub-app';
import { HubModule } from './hub.module';

@Module({ imports: [RuntimeModule.forRoot({ service: 'hub' }), HubModule.forRoot()] })
class HubApp {}

async function main() {
  const app = await NestFactory.create<NestExpressApplication>(HubApp, { bodyParser: false });
  app.enableShutdownHooks();
  configureHubApp(app);
  const config = app.get<Config>(CONFIG);
  await app.listen(config.CONDORHUB_HUB_PORT, config.CONDORHUB_BIND_HOST);
  // Started by a supervisor over IPC (the spawn bench): say so, as runService does.
  if (process.connected) process.send?.({ ready: 'hub' });
}

main().catch((e) => {
  console.error(String(e instanceof Error ? e.message : e));
  process.exit(1);
});
