import type { Pool } from 'pg';
import type { CondorClient } from '@condorhub/condor';
import { type NewEvent, newEvent } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import type { StrayJobs } from '../stray-jobs/stray-jobs';
import { type JobMark, type TrackedJob, type TrackedJobs } from '../tracked-jobs/tracked-jobs';
import { jobTransition } from './job-transition';

export interface PollCycleResult {
  tracked: number;
  appended: number;
  status: 'ok' | 'unknown' | 'idle';
  anyPending: boolean;
}

/**
 * One poll: ONE condor_q for every tracked job (and one condor_history for those that left),
 * an event per change. A failed query changes nothing; after `unknownAfter` failures in a row
 * each job gets one JobStateUnknown — never a removal.
 */
export class PollCycle {
  /** What this process last appended per job (the read model may lag by a cycle). */
  private readonly marks = new Map<string, JobMark>();
  /** NumJobStarts of each job when last seen running, to notice a run that started between two polls. */
  private readonly starts = new Map<string, number>();
  private failures = 0;
  /** Jobs missing from the queue and from history, by cycles seen so. */
  private readonly vanished = new Map<string, number>();
  /** condor_q calls made so far (one per cycle that has jobs to ask about). */
  queries = 0;
  private lastQueryAt = Date.now();

  constructor(
    private readonly pool: Pool,
    readonly tracked: TrackedJobs,
    private readonly condor: CondorClient,
    private readonly opts: {
      unknownAfter: number;
      /** Jobs no live server names are looked for in every answer, and when idle this often. */
      strays?: { jobs: StrayJobs; idleQueryMs: number };
      log?: (l: string) => void;
    },
  ) {}

  /** One condor_q: counted, and timed for the idle check for strays. */
  private query(ids?: Parameters<CondorClient['query']>[0]) {
    this.queries++;
    this.lastQueryAt = Date.now();
    return this.condor.query(ids);
  }

  async run(): Promise<PollCycleResult> {
    const tracked = await this.tracked.load();
    const anyPending = tracked.some((j) => j.phase !== 'ready');
    // Nothing to ask condor about; keep looking often (a local query), since a JobSubmitted
    // wake-up can arrive before the read model shows the new job.
    if (!tracked.length) {
      const strays = this.opts.strays;
      if (strays && Date.now() - this.lastQueryAt >= strays.idleQueryMs) {
        const snapshot = await this.query();
        if (snapshot.status === 'ok') await strays.jobs.sweep(snapshot.jobs, new Set());
      }
      return { tracked: 0, appended: 0, status: 'idle', anyPending: true };
    }
    const live = new Set(tracked.map((j) => j.jobId));
    for (const id of this.marks.keys()) if (!live.has(id)) this.marks.delete(id);
    for (const id of this.starts.keys()) if (!live.has(id)) this.starts.delete(id);

    const snapshot = await this.query(tracked.map((j) => j.jobId as never));
    if (snapshot.status === 'unknown') {
      this.failures++;
      this.opts.log?.(`condor_q failed (${this.failures} in a row): ${snapshot.error.message}`);
      let appended = 0;
      if (this.failures === this.opts.unknownAfter) {
        for (const job of tracked) {
          appended += await this.append(job, [
            newEvent('JobStateUnknown', {
              spawnId: job.spawnId,
              jobId: job.jobId,
              error: snapshot.error.message.slice(0, 2000),
              failedQueries: this.failures,
            }),
          ]);
        }
      }
      return { tracked: tracked.length, appended, status: 'unknown', anyPending };
    }
    this.failures = 0;

    let appended = 0;
    const missing: TrackedJob[] = [];
    for (const job of tracked) {
      const state = snapshot.byId.get(job.jobId as never);
      if (!state) {
        missing.push(job);
        continue;
      }
      appended += await this.transition(job, state);
    }
    if (missing.length) {
      const history = await this.condor.history(missing.map((j) => j.jobId as never));
      if (history.status === 'ok') {
        for (const job of missing) {
          const state = history.byId.get(job.jobId as never);
          if (state) appended += await this.transition(job, state);
          else appended += await this.vanish(job);
        }
      }
    }
    await this.opts.strays?.jobs.sweep(snapshot.jobs, new Set(tracked.map((j) => j.jobId)));
    return { tracked: tracked.length, appended, status: 'ok', anyPending };
  }

  private async transition(job: TrackedJob, state: Parameters<typeof jobTransition>[1]): Promise<number> {
    this.vanished.delete(job.jobId);
    const t = jobTransition(job.spawnId, state, this.marks.get(job.jobId) ?? job.known, this.starts.get(job.jobId));
    if (state.status === 'running' && state.numJobStarts !== undefined) this.starts.set(job.jobId, state.numJobStarts);
    if (!t) return 0;
    this.marks.set(job.jobId, t.mark);
    if (t.mark === 'gone') this.tracked.forget(job.jobId);
    return this.append(job, [t.event]);
  }

  /** Not in the queue, not (yet) in history: HTCondor writes history a moment later; give it cycles. */
  private async vanish(job: TrackedJob): Promise<number> {
    const seen = (this.vanished.get(job.jobId) ?? 0) + 1;
    this.vanished.set(job.jobId, seen);
    if (seen < 5 || this.marks.get(job.jobId) === 'gone') return 0;
    this.marks.set(job.jobId, 'gone');
    this.tracked.forget(job.jobId);
    return this.append(job, [
      newEvent('JobRemoved', {
        spawnId: job.spawnId,
        jobId: job.jobId,
        reason: 'left the queue with no history record',
      }),
    ]);
  }

  private async append(job: TrackedJob, events: NewEvent[]): Promise<number> {
    await appendToStream(this.pool, job.streamId, events, {
      metadata: { correlationId: job.spawnId, actor: 'condor-poller' },
    });
    return events.length;
  }
}
