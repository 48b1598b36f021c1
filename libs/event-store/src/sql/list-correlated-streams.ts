import type { Sql } from '../db';

/** The streams whose id starts with `prefix` holding an event with this correlation id (a spawn's server stream, say). */
export async function listCorrelatedStreams(sql: Sql, correlationId: string, prefix: string): Promise<string[]> {
  const { rows } = await sql.query<{ stream_id: string }>(
    `SELECT DISTINCT stream_id FROM events WHERE metadata->>'correlationId' = $1 AND starts_with(stream_id, $2)`,
    [correlationId, prefix],
  );
  return rows.map((r) => r.stream_id);
}
