import type { Sql } from '../db';

/** The version of the first event of `type` on a stream whose data has `field` = `value` (a spawn's SpawnRequested, say). */
export async function findEventVersion(
  sql: Sql,
  streamId: string,
  type: string,
  field: string,
  value: string,
): Promise<number | undefined> {
  const { rows } = await sql.query<{ v: string }>(
    `SELECT stream_version::text AS v FROM events
      WHERE stream_id = $1 AND type = $2 AND data->>$3 = $4 ORDER BY stream_version LIMIT 1`,
    [streamId, type, field, value],
  );
  return rows.length ? Number(rows[0].v) : undefined;
}
