import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { CondorClient } from '@condorhub/condor';
import { eventSubjectFilter, parseEnvelope } from '@condorhub/contracts';
import { type Config, condorClientOptions } from '@condorhub/config';
import { CONFIG, NATS, PG_POOL } from '@condorhub/runtime';
import { StrayJobs } from './stray-jobs/stray-jobs';
import { PollCycle } from './poll-cycle/poll-cycle';
import { TrackedJobs } from './tracked-jobs/tracked-jobs';

/** `<prefix>.poke.condor-poller`: anyone may ask for a poll now (a new submit, an early port report). */
export const pokeSubject = (prefix: string) => `${prefix}.poke.condor-poller`;

/**
 * Polls HTCondor: every `pendingPollS` (1 s) while any job is pending or starting, every
 * `runningPollS` (30 s) otherwise; a JobSubmitted or a poke wakes it at once.
 */
@Injectable()
export class CondorPollerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('condor-poller');
  private readonly cycle: PollCycle;
  private readonly tracked: TrackedJobs;
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private subs: Subscription[] = [];
  cycles = 0;
  /** condor_q calls made by the poll cycles (the spawner's own lookups are not counted here). */
  get condorQueries(): number {
    return this.cycle.queries;
  }

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PG_POOL) pool: Pool,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {
    // Not niced: one condor_q per cycle is on every pending spawn's critical path.
    const condor = new CondorClient({ ...condorClientOptions(config), nice: 0 });
    this.tracked = new TrackedJobs(pool);
    const log = (l: string) => this.log.warn(l);
    this.cycle = new PollCycle(pool, this.tracked, condor, {
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
  }

  private async run() {
    while (this.running) {
      let pending = true;
      try {
        const result = await this.cycle.run();
        this.cycles++;
        pending = result.anyPending;
      } catch (error) {
        this.log.warn(`poll cycle failed: ${String(error)}`);
      }
      const seconds = pending ? this.config.CONDORHUB_PENDING_POLL_S : this.config.CONDORHUB_RUNNING_POLL_S;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, seconds * 1000);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
