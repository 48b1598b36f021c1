import type { Sql } from '../db';

/**
 * Every stream of `category`, or whose id starts with `prefix` (both: both), with its version:
 * what a reader compares a projection's version with to read only the streams it is behind on.
 */
export async function listStreamVersions(
  sql: Sql,
  filter: { category?: string; prefix?: string },
): Promise<{ streamId: string; version: number }[]> {
  // starts_with, not LIKE: `_` and `%` are wildcards there, and `_` is common in names.
  const { rows } = await sql.query<{ stream_id: string; version: string }>(
    `SELECT stream_id, version::text AS version FROM streams
      WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR starts_with(stream_id, $2))`,
    [filter.category ?? null, filter.prefix ?? null],
  );
  return rows.map((r) => ({ streamId: r.stream_id, version: Number(r.version) }));
}
