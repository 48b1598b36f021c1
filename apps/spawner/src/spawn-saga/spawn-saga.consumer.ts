import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { CondorClient } from '@condorhub/condor';
import type { Config } from '@condorhub/config';
import { RetentionPruner, TimerScheduler } from '@condorhub/event-store';
import { DurableConsumer } from '@condorhub/messaging';
import { CONFIG, NATS, PG_POOL } from '@condorhub/runtime';
import { spawnerSettings } from '../spawner.settings';
import { SPAWNER_CONDOR_CONSUMER, SPAWNER_CONSUMER, SpawnSagaHandler } from './spawn-saga.handler';

/** Events whose reaction is a condor call (condor_submit, condor_rm): seconds each under load. */
export const CONDOR_CALL_EVENTS = ['SpawnRequested', 'JobRemovalRequested'];

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
  'SubmitTimedOut',
  'RouteTimedOut',
  'StopTimedOut',
  // No reaction: counted in condorhub_spawns_total (spawn-metrics), whoever recorded it.
  'ServerReady',
];

/**
 * The JetStream transport side of the sagas, and the durable timers they arm. Two lanes, one
 * handler: events that call condor get their own durable consumer, so a burst of 200
 * condor_submits cannot hold back a NotebookResponded or a RouteAdded queued behind them.
 * Across lanes a stream's events may be handled out of order; the handler already copes
 * (every decision is re-made on the stream as it is when it commits, as with two replicas).
 */
@Injectable()
export class SpawnSagaConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('spawner');
  private readonly consumers: DurableConsumer[];
  readonly timers: TimerScheduler;
  /** Inbox rows and fired timers past CONDORHUB_INBOX_RETENTION_S go, hourly; the spawner owns both. */
  readonly pruner: RetentionPruner;

  constructor(@Inject(CONFIG) config: Config, @Inject(PG_POOL) pool: Pool, @Inject(NATS) nc: NatsConnection) {
    const settings = spawnerSettings(config);
    this.timers = new TimerScheduler(pool, { onError: (e) => this.log.warn(`timers: ${String(e)}`) });
    this.pruner = new RetentionPruner(pool, {
      retentionS: config.CONDORHUB_INBOX_RETENTION_S,
      onPruned: (r) => this.log.log(`pruned ${r.inbox} inbox rows and ${r.firedTimers} fired timers`),
      onError: (e) => this.log.warn(`pruning: ${String(e)}`),
    });
    const handler = new SpawnSagaHandler(pool, new CondorClient(settings.condor), settings, this.timers, (l) =>
      this.log.log(l),
    );
    const lane = (durable: string, types: string[], concurrency: number) =>
      new DurableConsumer({
        nc,
        streamName: config.CONDORHUB_NATS_STREAM,
        prefix: config.CONDORHUB_NATS_PREFIX,
        durable,
        types,
        concurrency,
        pool,
        handle: (e) => handler.handle(e),
        log: (l) => this.log.warn(l),
      });
    this.consumers = [
      lane(
        SPAWNER_CONSUMER,
        SAGA_EVENTS.filter((t) => !CONDOR_CALL_EVENTS.includes(t)),
        32,
      ),
      lane(SPAWNER_CONDOR_CONSUMER, CONDOR_CALL_EVENTS, config.CONDORHUB_CONDOR_CONCURRENCY),
    ];
  }

  async onApplicationBootstrap() {
    this.timers.start();
    this.pruner.start();
    for (const c of this.consumers) await c.start();
  }

  async onApplicationShutdown() {
    for (const c of this.consumers) await c.stop();
    await this.timers.stop();
    await this.pruner.stop();
  }
}
