import type { LeaderLock } from '@condorhub/event-store';
import { registerReadinessCheck } from '@condorhub/metrics';
import { Gauge } from 'prom-client';

/** Where this instance stands before a cycle: `new` = it has just become the leader. */
export type Term = 'new' | 'leading' | 'standby';

// Per process; two pollers in one process (tests) share it, the last check wins.
const leaderGauge = new Gauge({
  name: 'condorhub_poller_leader',
  help: 'Whether this condor-poller replica polls HTCondor now (1) or stands by (0); one replica leads per hub.',
});

/**
 * Two pollers polling would both append each job's transitions and both remove strays: only the
 * replica holding the poller's leader lock polls. A standby is ready (it is healthy and takes
 * over when the leader's store session ends); /ready names which it is.
 */
export class PollerLeadership {
  private leading = false;
  /** After losing the lock, not before this: a standby with a working session goes first. */
  private retryAt = 0;
  private readonly unregister: () => void;

  constructor(
    private readonly lock: LeaderLock,
    private readonly log: { log(line: string): void; warn(line: string): void },
    private readonly backoffMs = 5_000,
  ) {
    this.unregister = registerReadinessCheck('condor-poller: leader', () => (this.leading ? 'leader' : 'standby'));
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async check(): Promise<Term> {
    if (Date.now() < this.retryAt) return 'standby';
    const now = await this.lock.check();
    const was = this.leading;
    this.leading = now;
    leaderGauge.set(now ? 1 : 0);
    if (now && !was) this.log.log('leading: this replica polls HTCondor');
    if (!now && was) {
      this.retryAt = Date.now() + this.backoffMs;
      this.log.warn(`lost the leader lock (its store session ended): standing by, for ${this.backoffMs} ms at least`);
    }
    return now ? (was ? 'leading' : 'new') : 'standby';
  }

  async close(): Promise<void> {
    this.unregister();
    this.leading = false;
    leaderGauge.set(0);
    await this.lock.close();
  }
}
