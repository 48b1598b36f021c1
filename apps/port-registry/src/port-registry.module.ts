import { Module } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import type { Config } from '@condorhub/config';
import { announceSubject } from '@condorhub/contracts';
import { CONFIG, NATS, PG_POOL } from '@condorhub/runtime';
import { lifecycleSettings } from '@condorhub/server-lifecycle';
import { HandshakeLifecycle } from './handshake/handshake-lifecycle';
import { HandshakeProber } from './handshake/handshake-prober';
import { ExchangeApiTokenHandler } from './exchange-api-token/exchange-api-token.handler';
import { LauncherReportHandler } from './launcher-report/launcher-report.handler';
import { PortRegistryController } from './port-registry.controller';
import { ReportPortHandler } from './report-port/report-port.handler';

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
