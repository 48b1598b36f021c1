import type { INestApplicationContext } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type Config, logLevels } from '@condorhub/config';
import { RuntimeModule } from '@condorhub/runtime';
import { bootstrapCondorPoller } from '../../condor-poller/src/bootstrap';
import { configureHubApp } from '../../hub/src/configure-hub-app';
import { HubModule } from '../../hub/src/hub.module';
import { bootstrapPortRegistry } from '../../port-registry/src/bootstrap';
import { bootstrapProjector } from '../../projector/src/bootstrap';
import { bootstrapProxy } from '../../proxy/src/bootstrap';
import { bootstrapSpawner } from '../../spawner/src/bootstrap';

/** The hub's HTTP server on CONDORHUB_HUB_PORT. */
export async function bootstrapHub(config: Config): Promise<INestApplicationContext> {
  @Module({ imports: [RuntimeModule.forRoot({ service: 'hub', config }), HubModule.forRoot()] })
  class HubApp {}
  const app = await NestFactory.create<NestExpressApplication>(HubApp, {
    bodyParser: false,
    logger: logLevels(config),
  });
  configureHubApp(app);
  await app.listen(config.CONDORHUB_HUB_PORT, config.CONDORHUB_BIND_HOST);
  return app;
}

/**
 * Every service in one process, for small sites and development. They still talk only
 * through NATS and the event store: each has its own connections, as separate processes would.
 * The projector comes first (it creates the stream and read models others read).
 */
export async function bootAll(
  config: Config,
  onStarted?: (service: string) => void,
): Promise<INestApplicationContext[]> {
  const apps: INestApplicationContext[] = [];
  const steps: [string, (c: Config) => Promise<INestApplicationContext>][] = [
    ['projector', bootstrapProjector],
    ['spawner', bootstrapSpawner],
    ['condor-poller', bootstrapCondorPoller],
    ['port-registry', bootstrapPortRegistry],
    ['hub', bootstrapHub],
    ['proxy', bootstrapProxy],
  ];
  try {
    for (const [name, boot] of steps) {
      apps.push(await boot(config));
      onStarted?.(name);
    }
  } catch (error) {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    throw error;
  }
  return apps;
}
