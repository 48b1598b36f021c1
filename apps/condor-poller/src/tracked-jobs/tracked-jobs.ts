import type { Pool } from 'pg';
import { type EventEnvelope, isEvent } from '@condorhub/contracts';
import { type JobServer, listJobServers } from '@condorhub/read-models';

export interface TrackedJob {
  jobId: string;
  spawnId: string;
  streamId: string;
  phase: string;
  /** The condor state the events already tell, so a restart does not repeat them. */
  known: JobMark | undefined;
}

export type JobMark = 'idle' | 'running' | 'held' | 'gone';

/** A job seen only in its JobSubmitted event is forgotten after this, read model or not. */
const FRESH_MAX_AGE_MS = 60 * 60_000;

/**
 * Every live job. The servers read model is the durable source (on start it is the "re-read
 * every live job" of a restart); JobSubmitted events seen on NATS are tracked at once, because
 * under load the projection can lag the submit by seconds and the job would go unpolled.
 */
export class TrackedJobs {
  /** Jobs known from their JobSubmitted event and not yet from the read model. */
  private readonly fresh = new Map<string, TrackedJob & { seenAt: number }>();

  constructor(private readonly pool: Pool) {}

  /** Takes a JobSubmitted envelope off the wire; anything else is ignored. */
  noteSubmitted(event: EventEnvelope): void {
    if (!isEvent(event, 'JobSubmitted')) return;
    const { jobId, spawnId } = event.data;
    this.fresh.set(jobId, {
      jobId,
      spawnId,
      streamId: event.streamId,
      phase: 'submitted',
      known: undefined,
      seenAt: Date.now(),
    });
  }

  /** Forgets a fresh job this process has seen leave condor. */
  forget(jobId: string): void {
    this.fresh.delete(jobId);
  }

  async load(): Promise<TrackedJob[]> {
    // One query: the live jobs, and whether the read model knows the fresh ones yet (in any
    // phase, even stopped: then they are the read model's business, not ours).
    const rows = await listJobServers(this.pool, [...this.fresh.keys()]);
    for (const r of rows) this.fresh.delete(r.jobId);
    const now = Date.now();
    for (const [id, job] of this.fresh) if (now - job.seenAt > FRESH_MAX_AGE_MS) this.fresh.delete(id);
    const live = rows.filter((r) => r.phase !== 'none' && r.phase !== 'stopped').map(toTrackedJob);
    return [...live, ...[...this.fresh.values()].map(({ seenAt: _, ...job }) => job)];
  }
}

function toTrackedJob(r: JobServer): TrackedJob {
  return {
    jobId: r.jobId,
    spawnId: r.spawnId,
    streamId: r.streamId,
    phase: r.phase,
    known: r.heldReason
      ? 'held'
      : r.phase === 'queued'
        ? 'idle'
        : ['starting', 'port-reported', 'routing', 'ready'].includes(r.phase)
          ? 'running'
          : undefined,
  };
}
