import type { Pool } from 'pg';
import { type PruneResult, pruneProcessed } from '../sql/prune-processed';

/**
 * Prunes inbox rows and fired timers older than the retention, every `intervalMs` (first run one
 * interval after start). One service runs it (the spawner); several would only find less to do.
 */
export class RetentionPruner {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly opts: {
      retentionS: number;
      intervalMs?: number;
      onPruned?: (r: PruneResult) => void;
      onError?: (e: unknown) => void;
    },
  ) {}

  start() {
    this.timer ??= setInterval(() => void this.runOnce(), this.opts.intervalMs ?? 3_600_000);
    this.timer.unref();
  }

  /** One pass now (a store outage is reported and tried again next time). */
  runOnce(): Promise<void> {
    this.running ??= pruneProcessed(this.pool, this.opts.retentionS)
      .then((r) => {
        if (r.inbox || r.firedTimers) this.opts.onPruned?.(r);
      })
      .catch((e) => this.opts.onError?.(e))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
