import type { EventEnvelope } from '@condorhub/contracts';
import type { Sql } from '../db';
import { byStream } from './read-stream';
import { EVENT_COLUMNS, type EventRow } from './to-envelope';

/**
 * Several streams' events after a version each (`after`: stream id → the last version the
 * caller has), in one query: what a reader holding folded states needs to bring them up to date.
 */
export async function readStreamsAfter(
  sql: Sql,
  after: ReadonlyMap<string, number>,
): Promise<Map<string, EventEnvelope[]>> {
  if (after.size === 0) return new Map();
  const { rows } = await sql.query<EventRow>(
    `SELECT ${EVENT_COLUMNS} FROM unnest($1::text[], $2::bigint[]) AS w(id, after_version)
       JOIN events ON events.stream_id = w.id AND events.stream_version > w.after_version
      ORDER BY events.stream_id, events.stream_version`,
    [[...after.keys()], [...after.values()]],
  );
  return byStream(rows);
}
