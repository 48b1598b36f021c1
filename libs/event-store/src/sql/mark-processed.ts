import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

/**
 * Records that `consumer` handled `eventId`, in the caller's transaction. False means it was
 * handled before: the caller skips its effect (redelivery, replay, second instance).
 */
export async function markProcessed(sql: Sql, consumer: string, eventId: string): Promise<boolean> {
  const { rowCount } = await preparedQuery(
    sql,
    'ch_mark_processed',
    'INSERT INTO inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    [consumer, eventId],
  );
  return rowCount === 1;
}
