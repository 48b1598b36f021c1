import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Pool } from 'pg';
import { listServersInPhase } from '@condorhub/read-models';
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
    const servers = await listServersInPhase(this.pool, 'port-reported');
    const before = this.prober.probing;
    for (const target of servers) this.prober.start(target);
    if (this.prober.probing > before) this.log.log(`resumed ${this.prober.probing - before} handshake(s)`);
  }

  onApplicationShutdown() {
    clearInterval(this.timer);
    this.prober.stopAll();
  }
}
