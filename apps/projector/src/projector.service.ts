import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { Config } from '@condorhub/config';
import type { DatabaseOptions, EventProcessor } from '@condorhub/event-store';
import { RELAY_PROCESSOR, createRelay } from '@condorhub/messaging';
import { registerReadinessCheck, watchStoreGauges } from '@condorhub/metrics';
import { CONFIG, DB_OPTIONS, NATS, PG_POOL, READ_MODELS } from '@condorhub/runtime';
import { READ_MODELS_PROCESSOR, createReadModelsProcessor } from '@condorhub/read-models';

/** Runs the relay (store → JetStream) and the read-model projections. */
@Injectable()
export class ProjectorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('projector');
  readonly relay: EventProcessor;
  readonly readModels: EventProcessor;
  private readonly unwatch: () => void;
  private unready: (() => void)[] = [];

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(DB_OPTIONS) db: DatabaseOptions,
    @Inject(PG_POOL) pool: Pool,
    @Inject(NATS) nc: NatsConnection,
    @Inject(READ_MODELS) dataSource: DataSource,
  ) {
    const onError = (what: string) => (e: unknown) => this.log.warn(`${what}: ${String(e)}`);
    this.relay = createRelay({ pool, db, nc, prefix: config.CONDORHUB_NATS_PREFIX, onError: onError('relay') });
    this.readModels = createReadModelsProcessor({ pool, db, dataSource, onError: onError('read models') });
    // The projector owns the read models and the checkpoints: it shows the gauges read from them.
    const processors = [RELAY_PROCESSOR, READ_MODELS_PROCESSOR];
    this.unwatch = watchStoreGauges({ pool, processors, timeoutMs: config.CONDORHUB_READY_TIMEOUT_MS });
  }

  onApplicationBootstrap() {
    this.relay.start();
    this.readModels.start();
    const following = (p: EventProcessor) => () => {
      if (p.failure) throw new Error(p.failure);
    };
    this.unready = [
      registerReadinessCheck('projector: relay', following(this.relay)),
      registerReadinessCheck('projector: read models', following(this.readModels)),
    ];
  }

  async onApplicationShutdown() {
    this.unwatch();
    for (const undo of this.unready) undo();
    await Promise.all([this.relay.stop(), this.readModels.stop()]);
  }
}
