import type { EventEnvelope } from '@condorhub/contracts';
import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';
import { EVENT_COLUMNS, type EventRow, toEnvelope } from './to-envelope';

/** One stream's events in version order, from `fromVersion` (1-based, inclusive). */
export async function readStream(
  sql: Sql,
  streamId: string,
  fromVersion = 1,
  limit = 10_000,
): Promise<EventEnvelope[]> {
  const { rows } = await preparedQuery<EventRow>(
    sql,
    'ch_read_stream',
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2
      ORDER BY events.stream_version LIMIT $3`,
    [streamId, fromVersion, limit],
  );
  return rows.map(toEnvelope);
}

export async function streamVersion(sql: Sql, streamId: string): Promise<number> {
  const { rows } = await preparedQuery<{ version: string }>(
    sql,
    'ch_stream_version',
    'SELECT version FROM streams WHERE stream_id = $1',
    [streamId],
  );
  return rows.length ? Number(rows[0].version) : 0;
}

/**
 * The events of every stream of `category` whose id starts with `prefix` (a user's servers,
 * say), by stream, each in version order: one query instead of one per stream.
 */
export async function readStreamsByPrefix(
  sql: Sql,
  category: string,
  prefix: string,
): Promise<Map<string, EventEnvelope[]>> {
  // starts_with, not LIKE: `_` and `%` are wildcards there, and `_` is common in names.
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id IN
       (SELECT stream_id FROM streams WHERE category = $1 AND starts_with(stream_id, $2))
      ORDER BY events.stream_id, events.stream_version`,
    [category, prefix],
  );
  return byStream(rows);
}

/** Rows ordered by stream and version, as envelopes grouped by stream. */
export function byStream(rows: EventRow[]): Map<string, EventEnvelope[]> {
  const streams = new Map<string, EventEnvelope[]>();
  for (const row of rows) {
    const e = toEnvelope(row);
    const list = streams.get(e.streamId);
    if (list) list.push(e);
    else streams.set(e.streamId, [e]);
  }
  return streams;
}
