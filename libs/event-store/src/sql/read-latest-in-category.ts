import type { EventEnvelope } from '@condorhub/contracts';
import type { Sql } from '../db';
import { EVENT_COLUMNS, type EventRow, toEnvelope } from './to-envelope';

/** The newest `limit` events of every stream of `category` (an audit trail, say), newest first. */
export async function readLatestInCategory(sql: Sql, category: string, limit = 50): Promise<EventEnvelope[]> {
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id IN (SELECT stream_id FROM streams WHERE category = $1)
      ORDER BY global_position DESC LIMIT $2`,
    [category, limit],
  );
  return rows.map(toEnvelope);
}
