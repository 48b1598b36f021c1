import { type EventMetadata, type NewEvent, parseEventData } from '@condorhub/contracts';
import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

/**
 * Arms a durable timer: at `dueAt` the scheduler appends `event` to `streamId`, once.
 * Scheduling the same key again is a no-op, so a retried handler does not arm it twice.
 */
export async function scheduleMessage(
  sql: Sql,
  timerKey: string,
  streamId: string,
  event: NewEvent,
  dueAt: Date,
  metadata: EventMetadata = {},
): Promise<boolean> {
  const data = parseEventData(event.type, event.data);
  const { rowCount } = await preparedQuery(
    sql,
    'ch_schedule_message',
    `INSERT INTO scheduled_messages (timer_key, stream_id, type, data, metadata, due_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (timer_key) DO NOTHING`,
    [timerKey, streamId, event.type, JSON.stringify(data), JSON.stringify(metadata), dueAt],
  );
  return rowCount === 1;
}
