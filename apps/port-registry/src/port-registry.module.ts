import {
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { announceSubject } from '@condorhub/contracts';
import { CONFIG, NATS, PG_POOL } from '@condorhub/runtime';
import { lifecycleSettings } from '@condorhub/server-lifecycle';
import { HandshakeProber } from './handshake/handshake-prober';
import { ExchangeApiTokenHandler } from './exchange-api-token/exchange-api-token.handler';
import { LauncherReportHandler } from './launcher-report/launcher-report.handler';
import { PortRegistryController } from './port-registry.controller';
import { ReportPortHandler } from './report-port/report-port.handler';

/** How often the projection is looked at for handshakes no probe is running for. */
const RESUME_EVERY_MS = 5_000;

/**
 * Resumes the handshakes a restart interrupted, and stops probing on shutdown. It looks again
 * every few seconds: the projection may show a PortReported stored just before the restart only
 * later (the projector lags, or was down too). A probe already running is left alone.
 */
@Injectable()
class HandshakeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('port-registry');
  private timer?: NodeJS.Timeout;
  constructor(
    private readonly prober: HandshakeProber,
    @Inject(PG_POOL) private readonly pool: Pool,
  ) {}

  async onApplicationBootstrap() {
    await this.resume();
    this.timer = setInterval(() => {
      this.resume().catch((e) => this.log.warn(`could not look for handshakes to resume: ${(e as Error).message}`));
    }, RESUME_EVERY_MS);
    this.timer.unref();
  }

  private async resume() {
    // The pool's statement_timeout bounds it.
    const { rows } = await this.pool.query(
      `SELECT user_name, server_name, spawn_id, host, port FROM servers WHERE phase = 'port-reported'`,
    );
    const before = this.prober.probing;
    for (const r of rows) {
      this.prober.start({
        user: r.user_name,
        serverName: r.server_name,
        spawnId: r.spawn_id,
        host: r.host,
        port: r.port,
      });
    }
    if (this.prober.probing > before) this.log.log(`resumed ${this.prober.probing - before} handshake(s)`);
  }

  onApplicationShutdown() {
    clearInterval(this.timer);
    this.prober.stopAll();
  }
}

@Module({
  controllers: [PortRegistryController],
  providers: [
    {
      provide: HandshakeProber,
      inject: [PG_POOL, CONFIG, NATS],
      useFactory: (pool: Pool, config: Config, nc: NatsConnection) =>
        new HandshakeProber(pool, {
          maxS: config.CONDORHUB_HANDSHAKE_TIMEOUT_S + 5,
          lifecycle: lifecycleSettings(config),
          announce: (event) =>
            nc.publish(
              announceSubject(config.CONDORHUB_NATS_PREFIX, event.streamId, event.type),
              JSON.stringify(event),
            ),
        }),
    },
    {
      provide: ReportPortHandler,
      inject: [PG_POOL, HandshakeProber, NATS, CONFIG],
      useFactory: (pool: Pool, prober: HandshakeProber, nc: NatsConnection, config: Config) =>
        new ReportPortHandler(pool, prober, {
          hostWaitMs: 15_000,
          // A restarted launcher's report waits this long for a JobRunning the poller may not have seen.
          newRunWaitMs: 5_000,
          poke: () => nc.publish(`${config.CONDORHUB_NATS_PREFIX}.poke.condor-poller`),
        }),
    },
    {
      provide: ExchangeApiTokenHandler,
      inject: [PG_POOL, NATS, CONFIG],
      useFactory: (pool: Pool, nc: NatsConnection, config: Config) =>
        new ExchangeApiTokenHandler(pool, {
          hostCheck: config.CONDORHUB_LAUNCHER_HOST_CHECK === 'on',
          // Under the launcher's 10 s request timeout: a 503 it can read beats a timeout.
          hostWaitMs: 8_000,
          poke: () => nc.publish(`${config.CONDORHUB_NATS_PREFIX}.poke.condor-poller`),
        }),
    },
    { provide: LauncherReportHandler, inject: [PG_POOL], useFactory: (pool: Pool) => new LauncherReportHandler(pool) },
    HandshakeLifecycle,
  ],
})
export class PortRegistryModule {}
