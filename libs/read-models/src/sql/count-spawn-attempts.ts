import type { DataSource } from 'typeorm';

/** Spawn attempts requested since a time, whatever their outcome. */
export async function countSpawnAttempts(ds: DataSource, since: Date): Promise<number> {
  const rows: { total: string }[] = await ds.query(
    'SELECT count(*)::text AS total FROM spawn_attempts WHERE requested_at >= $1',
    [since],
  );
  return Number(rows[0].total);
}
