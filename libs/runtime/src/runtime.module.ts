import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import { type Config, databaseOptions, eventStreamOptions, loadConfig, natsOptions } from '@condorhub/config';
import {
  type DatabaseOptions,
  createPool,
  ensureDatabase,
  eventStoreMigrations,
  noAppendApplicationName,
  migrate,
  type Migration,
} from '@condorhub/event-store';
import { connectNats, ensureEventStream } from '@condorhub/messaging';
import { type OpsServer, registerReadinessCheck, setReadyTimeout, startOpsServer } from '@condorhub/metrics';
import { openReadModels, readModelMigrations } from '@condorhub/read-models';
import { tokenMigrations } from '@condorhub/tokens';
import { CONFIG, DB_OPTIONS, NATS, PG_POOL, READ_MODELS } from './tokens';

@Injectable()
class RuntimeShutdown implements OnApplicationShutdown {
  constructor(
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(READ_MODELS) private readonly readModels: DataSource,
  ) {}

  async onApplicationShutdown() {
    // Services stop their loops first (their own shutdown hooks); then the connections go.
    await this.nc.drain().catch(() => undefined);
    await this.readModels.destroy().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}

const METRICS_PORT = Symbol('condorhub.metrics-port');

/**
 * Readiness of what every service stands on (the store answers, NATS answers), and the
 * /metrics, /health, /ready listener of a service without an HTTP server of its own.
 */
@Injectable()
class RuntimeHealth implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly undo: (() => void)[] = [];
  private listener?: OpsServer;

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PG_POOL) private readonly pool: Pool,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(METRICS_PORT) private readonly service: { name: string; port: number },
  ) {}

  async onApplicationBootstrap() {
    const timeout = this.config.CONDORHUB_READY_TIMEOUT_MS;
    setReadyTimeout(timeout);
    const name = this.service.name;
    this.undo.push(
      registerReadinessCheck(`${name}: store`, async () => {
        await this.pool.query({ text: 'SELECT 1', query_timeout: timeout } as any);
      }),
      registerReadinessCheck(`${name}: nats`, async () => {
        if (this.nc.isClosed()) throw new Error('connection closed');
        return `rtt ${await this.nc.rtt()} ms`;
      }),
    );
    // Last, so a scrape never finds a service half started.
    this.listener = await startOpsServer(this.service.port, this.config.CONDORHUB_BIND_HOST);
  }

  async beforeApplicationShutdown() {
    for (const undo of this.undo.splice(0)) undo();
    await this.listener?.close();
  }
}

/**
 * What every service stands on: validated config, the store's pool (migrated), NATS with the
 * event stream, and the read models. Global, so each service module just injects the tokens.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(opts: {
    service: string;
    config?: Config;
    /** The service's own tables, applied after the shared ones when its store pool opens. */
    migrations?: Migration[];
    /** false: the service never appends events, so readers need not wait for its transactions. */
    appendsEvents?: boolean;
    /** Store pool size when CONDORHUB_DATABASE_POOL_MAX is unset. */
    defaultPoolMax?: number;
    /** Port of a /metrics, /health, /ready listener for a service without HTTP (0: none). */
    metricsPort?: number;
  }): DynamicModule {
    const config = opts.config ?? loadConfig();
    const name = `condorhub-${opts.service}`;
    const db: DatabaseOptions = databaseOptions(
      config,
      opts.appendsEvents === false ? noAppendApplicationName(name) : name,
      opts.defaultPoolMax,
    );
    const log = new Logger('runtime');
    return {
      module: RuntimeModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: DB_OPTIONS, useValue: db },
        {
          provide: PG_POOL,
          useFactory: async () => {
            if (await ensureDatabase(db.url)) log.log(`created database ${new URL(db.url).pathname.slice(1)}`);
            const pool = createPool(db);
            const applied = await migrate(pool, db.schema ?? 'public', [
              ...eventStoreMigrations,
              ...readModelMigrations,
              ...tokenMigrations,
              ...(opts.migrations ?? []),
            ]);
            if (applied.length) log.log(`applied migrations ${applied.join(', ')}`);
            return pool;
          },
        },
        {
          provide: NATS,
          useFactory: async () => {
            const nc = await connectNats(natsOptions(config, `condorhub-${opts.service}`));
            await ensureEventStream(nc, eventStreamOptions(config));
            return nc;
          },
        },
        // Read models are read mostly; the pool size setting is for the store's pool.
        { provide: READ_MODELS, inject: [PG_POOL], useFactory: () => openReadModels({ ...db, max: undefined }) },
        RuntimeShutdown,
        { provide: METRICS_PORT, useValue: { name: opts.service, port: opts.metricsPort ?? 0 } },
        RuntimeHealth,
      ],
      exports: [CONFIG, DB_OPTIONS, PG_POOL, NATS, READ_MODELS],
    };
  }
}
