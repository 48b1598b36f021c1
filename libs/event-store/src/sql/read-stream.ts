import type { EventEnvelope } from '@condorhub/contracts';
import type { Sql } from '../db';
import { EVENT_COLUMNS, type EventRow, toEnvelope } from './to-envelope';

/** One stream's events in version order, from `fromVersion` (1-based, inclusive). */
export async function readStream(
  sql: Sql,
  streamId: string,
  fromVersion = 1,
  limit = 10_000,
): Promise<EventEnvelope[]> {
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2
      ORDER BY events.stream_version LIMIT $3`,
    [streamId, fromVersion, limit],
  );
  return rows.map(toEnvelope);
}

export async function streamVersion(sql: Sql, streamId: string): Promise<number> {
  const { rows } = await sql.query<{ version: string }>('SELECT version FROM streams WHERE stream_id = $1', [streamId]);
  return rows.length ? Number(rows[0].version) : 0;
}
