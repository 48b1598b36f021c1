import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { CondorClient } from '@condorhub/condor';
import { eventSubjectFilter, parseEnvelope } from '@condorhub/contracts';
import { type Config, condorClientOptions } from '@condorhub/config';
import { type DatabaseOptions, LeaderLock } from '@condorhub/event-store';
import { CONFIG, DB_OPTIONS, NATS, PG_POOL } from '@condorhub/runtime';
import { PollerLeadership } from './leader/poller-leadership';
import { StrayJobs } from './stray-jobs/stray-jobs';
import { PollCycle } from './poll-cycle/poll-cycle';
import { TrackedJobs } from './tracked-jobs/tracked-jobs';

/** `<prefix>.poke.condor-poller`: anyone may ask for a poll now (a new submit, an early port report). */
export const pokeSubject = (prefix: string) => `${prefix}.poke.condor-poller`;

/**
 * Polls HTCondor: every `pendingPollS` (1 s) while any job is pending or starting, every
 * `runningPollS` (30 s) otherwise; a JobSubmitted or a poke wakes it at once. Of several
 * replicas only the leader polls (leader/poller-leadership.ts); the others check every
 * `pendingPollS` whether they lead now.
 */
@Injectable()
export class CondorPollerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('condor-poller');
  /** A fresh cycle per term as leader: another leader may have appended meanwhile. */
  private readonly newCycle: () => PollCycle;
  private cycle: PollCycle;
  private queriesBefore = 0;
  private readonly tracked: TrackedJobs;
  readonly leadership: PollerLeadership;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private subs: Subscription[] = [];
  cycles = 0;
  /** condor_q calls made by the poll cycles (the spawner's own lookups are not counted here). */
  get condorQueries(): number {
    return this.queriesBefore + this.cycle.queries;
  }

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PG_POOL) pool: Pool,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(DB_OPTIONS) db: DatabaseOptions,
  ) {
    // Not niced: one condor_q per cycle is on every pending spawn's critical path.
    const condor = new CondorClient({ ...condorClientOptions(config), nice: 0 });
    this.tracked = new TrackedJobs(pool);
    const log = (l: string) => this.log.warn(l);
    this.leadership = new PollerLeadership(new LeaderLock(db, { name: 'condor-poller' }), this.log);
    this.newCycle = () =>
      new PollCycle(pool, this.tracked, condor, {
        unknownAfter: config.CONDORHUB_UNKNOWN_AFTER_FAILURES,
        strays: {
          jobs: new StrayJobs(
            pool,
            // condor_rm runs as the job's owner, niced like the spawner's.
            new CondorClient(condorClientOptions(config)),
            { graceMs: config.CONDORHUB_STRAY_JOB_GRACE_S * 1000, log },
          ),
          idleQueryMs: config.CONDORHUB_RUNNING_POLL_S * 1000,
        },
        log,
      });
    this.cycle = this.newCycle();
  }

  onApplicationBootstrap() {
    const prefix = this.config.CONDORHUB_NATS_PREFIX;
    // A JobSubmitted is tracked from the event itself: the read model may show it seconds later.
    this.subs.push(
      this.nc.subscribe(eventSubjectFilter(prefix, 'server', 'JobSubmitted'), {
        callback: (error, msg) => {
          if (error) return;
          try {
            this.tracked.noteSubmitted(parseEnvelope(msg.json()));
          } catch (e) {
            this.log.warn(`ignored a malformed JobSubmitted on ${msg.subject}: ${String(e)}`);
          }
          this.wake?.();
        },
      }),
      this.nc.subscribe(pokeSubject(prefix), { callback: () => this.wake?.() }),
    );
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown() {
    this.running = false;
    for (const s of this.subs) s.unsubscribe();
    this.wake?.();
    await this.loop;
    // After the loop: no cycle is in flight when a standby takes over.
    await this.leadership.close();
  }

  private async run() {
    while (this.running) {
      let pending = true;
      const term = await this.leadership.check();
      if (term === 'standby') {
        await this.sleep(this.config.CONDORHUB_PENDING_POLL_S);
        continue;
      }
      if (term === 'new') {
        this.queriesBefore += this.cycle.queries;
        this.cycle = this.newCycle();
      }
      try {
        const result = await this.cycle.run();
        this.cycles++;
        pending = result.anyPending;
      } catch (error) {
        this.log.warn(`poll cycle failed: ${String(error)}`);
      }
      await this.sleep(pending ? this.config.CONDORHUB_PENDING_POLL_S : this.config.CONDORHUB_RUNNING_POLL_S);
    }
  }

  /** Until `seconds` pass or something wakes the loop. */
  private sleep(seconds: number) {
    return new Promise<void>((resolve) => {
      if (!this.running) return resolve();
      const timer = setTimeout(resolve, seconds * 1000);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
