import type { Sql } from '@condorhub/event-store';

// The spawner's own table (migrations.ts): a submit in flight is recorded before condor_submit.

/** Records that the spawn's submit starts; false when it was started before (a crash, a redelivery). */
export async function startSubmission(sql: Sql, spawnId: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    'INSERT INTO spawner_submissions (spawn_id) VALUES ($1) ON CONFLICT DO NOTHING',
    [spawnId],
  );
  return rowCount === 1;
}

/** Records the job the spawn's submit created. */
export async function recordSubmittedJob(sql: Sql, spawnId: string, jobId: string): Promise<void> {
  await sql.query('UPDATE spawner_submissions SET job_id = $2 WHERE spawn_id = $1', [spawnId, jobId]);
}
