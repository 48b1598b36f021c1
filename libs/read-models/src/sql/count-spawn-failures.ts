import type { DataSource } from 'typeorm';

export interface SpawnFailureCount {
  diagnosis: string | null;
  stage: string | null;
  count: number;
}

/** Failed spawn attempts requested since a time, by diagnosis and stage, most frequent first. */
export async function countSpawnFailures(ds: DataSource, since: Date): Promise<SpawnFailureCount[]> {
  const rows: { diagnosis: string | null; stage: string | null; count: string }[] = await ds.query(
    `SELECT diagnosis, stage, count(*)::text AS count FROM spawn_attempts
      WHERE outcome = 'failed' AND requested_at >= $1 GROUP BY diagnosis, stage ORDER BY count(*) DESC, diagnosis`,
    [since],
  );
  return rows.map((r) => ({ diagnosis: r.diagnosis, stage: r.stage, count: Number(r.count) }));
}
