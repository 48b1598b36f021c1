import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

/**
 * The store's copy of the route events the proxy acts on. Anyone who can publish on NATS can
 * send the proxy an event (core NATS subjects carry no proof of origin), so an event changes
 * the table only once the store shows it, and only with the store's data.
 */
export interface StoredRouteEvent {
  eventId: string;
  type: string;
  streamId: string;
  globalPosition: string;
  data: Record<string, unknown>;
  /**
   * RouteRequested only: a later event of its stream ends this request (its removal, its
   * spawn's stop, or another RouteRequested for the same prefix). A replayed old event must not
   * bring back a route the store has since taken away.
   */
  ended: boolean;
}

const ENDED_SQL = `CASE WHEN r.type <> 'RouteRequested' THEN false ELSE EXISTS (
    SELECT 1 FROM events l
     WHERE l.stream_id = r.stream_id AND l.stream_version > r.stream_version
       AND ((l.type IN ('RouteRemovalRequested', 'RouteRemoved')
              AND l.data->>'spawnId' = r.data->>'spawnId' AND l.data->>'routeSpec' = r.data->>'routeSpec')
         OR (l.type = 'ServerStopped' AND l.data->>'spawnId' = r.data->>'spawnId')
         OR (l.type = 'RouteRequested' AND l.data->>'routeSpec' = r.data->>'routeSpec'))) END`;

const SELECT = `SELECT r.event_id::text AS event_id, r.type, r.stream_id, r.global_position::text AS global_position, r.data,
  ${ENDED_SQL} AS ended FROM events r`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toStored(row: any): StoredRouteEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    streamId: row.stream_id,
    globalPosition: row.global_position,
    data: row.data ?? {},
    ended: row.ended === true,
  };
}

/** The stored event with this id, or undefined. */
export async function storedEventById(pool: Sql, eventId: string): Promise<StoredRouteEvent | undefined> {
  if (!UUID.test(eventId)) return undefined;
  const { rows } = await preparedQuery(pool, 'ch_stored_event_by_id', `${SELECT} WHERE r.event_id = $1`, [eventId]);
  return rows.length ? toStored(rows[0]) : undefined;
}

/** The stored event at this global position (a route's generation is its RouteRequested's position), or undefined. */
export async function storedEventAt(pool: Sql, globalPosition: number): Promise<StoredRouteEvent | undefined> {
  if (!Number.isSafeInteger(globalPosition) || globalPosition <= 0) return undefined;
  const { rows } = await preparedQuery(pool, 'ch_stored_event_at', `${SELECT} WHERE r.global_position = $1`, [
    globalPosition,
  ]);
  return rows.length ? toStored(rows[0]) : undefined;
}
