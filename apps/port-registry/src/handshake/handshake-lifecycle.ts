import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '@condorhub/runtime';
import { HandshakeProber } from './handshake-prober';

/** How often the projection is looked at for handshakes no probe is running for. */
const RESUME_EVERY_MS = 5_000;

/**
 * Resumes the handshakes a restart interrupted, and stops probing on shutdown. It looks again
 * every few seconds: the projection may show a PortReported stored just before the restart only
 * later (the projector lags, or was down too). A probe already running is left alone.
 */
@Injectable()
export class HandshakeLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
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
