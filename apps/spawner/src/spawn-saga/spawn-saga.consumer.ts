import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { CondorClient } from '@condorhub/condor';
import type { Config } from '@condorhub/config';
import { TimerScheduler } from '@condorhub/event-store';
import { DurableConsumer } from '@condorhub/messaging';
import { CONFIG, NATS, PG_POOL } from '@condorhub/runtime';
import { spawnerSettings } from '../spawner.settings';
import { SPAWNER_CONSUMER, SpawnSagaHandler } from './spawn-saga.handler';

// Events the sagas react to; everything else is acked and skipped by the consumer.
export const SAGA_EVENTS = [
  'SpawnRequested',
  'JobSubmitted',
  'JobRunning',
  'JobHeld',
  'JobRemoved',
  'JobCompleted',
  'IdleTimedOut',
  'PortReported',
  'PortReportTimedOut',
  'NotebookResponded',
  'HandshakeFailed',
  'LauncherReported',
  'RouteAdded',
  'RouteRemoved',
  'SpawnFailed',
  'StopRequested',
  'JobRemovalRequested',
  'ServerStopped',
];

/** The JetStream transport side of the sagas, and the durable timers they arm. */
@Injectable()
export class SpawnSagaConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('spawner');
  private readonly consumer: DurableConsumer;
  readonly timers: TimerScheduler;

  constructor(@Inject(CONFIG) config: Config, @Inject(PG_POOL) pool: Pool, @Inject(NATS) nc: NatsConnection) {
    const settings = spawnerSettings(config);
    this.timers = new TimerScheduler(pool, { onError: (e) => this.log.warn(`timers: ${String(e)}`) });
    const handler = new SpawnSagaHandler(pool, new CondorClient(settings.condor), settings, this.timers, (l) =>
      this.log.log(l),
    );
    this.consumer = new DurableConsumer({
      nc,
      streamName: config.CONDORHUB_NATS_STREAM,
      prefix: config.CONDORHUB_NATS_PREFIX,
      durable: SPAWNER_CONSUMER,
      types: SAGA_EVENTS,
      concurrency: 16,
      handle: (e) => handler.handle(e),
      log: (l) => this.log.warn(l),
    });
  }

  async onApplicationBootstrap() {
    this.timers.start();
    await this.consumer.start();
  }

  async onApplicationShutdown() {
    await this.consumer.stop();
    await this.timers.stop();
  }
}
