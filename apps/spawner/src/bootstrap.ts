import { type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NatsConnection } from '@nats-io/transport-node';
import { type Config, logLevels } from '@condorhub/config';
import { NatsCommandServer } from '@condorhub/messaging';
import { NATS, RuntimeModule } from '@condorhub/runtime';
import { spawnerMigrations } from './migrations';
import { SpawnerModule } from './spawner.module';

/** The spawner: sagas on JetStream, commands on NATS request/reply (a Nest microservice). */
export async function bootstrapSpawner(config: Config): Promise<INestApplication> {
  @Module({
    imports: [
      RuntimeModule.forRoot({
        service: 'spawner',
        config,
        migrations: spawnerMigrations,
        defaultPoolMax: 24,
        metricsPort: config.CONDORHUB_SPAWNER_METRICS_PORT,
      }),
      SpawnerModule,
    ],
  })
  class SpawnerApp {}
  const app = await NestFactory.create(SpawnerApp, { logger: logLevels(config) });
  app.connectMicroservice(
    { strategy: new NatsCommandServer(app.get<NatsConnection>(NATS), config.CONDORHUB_NATS_PREFIX) },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.init();
  return app;
}
