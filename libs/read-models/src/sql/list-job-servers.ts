import type { Sql } from '@condorhub/event-store';

export interface JobServer {
  jobId: string;
  spawnId: string;
  streamId: string;
  phase: string;
  heldReason: string | null;
}

/**
 * The projected servers with a job that is live (phase not none or stopped), and those of the
 * given jobs in any phase: whether the projection knows them yet. One query.
 */
export async function listJobServers(sql: Sql, alsoJobIds: readonly string[]): Promise<JobServer[]> {
  const { rows } = await sql.query<{
    job_id: string;
    spawn_id: string;
    stream_id: string;
    phase: string;
    held: string | null;
  }>(
    `SELECT job_id, spawn_id, stream_id, phase, state->>'heldReason' AS held
       FROM servers WHERE job_id IS NOT NULL AND (phase NOT IN ('none', 'stopped') OR job_id = ANY($1::text[]))`,
    [alsoJobIds],
  );
  return rows.map((r) => ({
    jobId: r.job_id,
    spawnId: r.spawn_id,
    streamId: r.stream_id,
    phase: r.phase,
    heldReason: r.held,
  }));
}
