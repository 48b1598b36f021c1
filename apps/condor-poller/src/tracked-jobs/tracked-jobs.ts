import type { Pool } from 'pg';

export interface TrackedJob {
  jobId: string;
  spawnId: string;
  streamId: string;
  phase: string;
  /** The condor state the events already tell, so a restart does not repeat them. */
  known: JobMark | undefined;
}

export type JobMark = 'idle' | 'running' | 'held' | 'gone';

const PENDING = ['requested', 'submitted', 'queued', 'starting', 'port-reported', 'routing'];

/**
 * Every live job, re-read from the servers read model each cycle: on start that is the
 * "re-read every live job" of a restart, and later it picks up new submissions by itself.
 */
export async function loadTrackedJobs(pool: Pool): Promise<TrackedJob[]> {
  const { rows } = await pool.query<{
    job_id: string;
    spawn_id: string;
    stream_id: string;
    phase: string;
    held: string | null;
  }>(
    `SELECT job_id, spawn_id, stream_id, phase, state->>'heldReason' AS held
       FROM servers WHERE job_id IS NOT NULL AND phase NOT IN ('none', 'stopped')`,
  );
  return rows.map((r) => ({
    jobId: r.job_id,
    spawnId: r.spawn_id,
    streamId: r.stream_id,
    phase: r.phase,
    known: r.held
      ? 'held'
      : r.phase === 'queued'
        ? 'idle'
        : ['starting', 'port-reported', 'routing', 'ready'].includes(r.phase)
          ? 'running'
          : undefined,
  }));
}

export const isPendingPhase = (phase: string) => PENDING.includes(phase);
