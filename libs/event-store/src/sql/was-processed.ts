import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

/**
 * Whether `consumer` has handled `eventId` already (see markProcessed). A read before the
 * effect, to skip work; only markProcessed in the effect's transaction decides.
 */
export async function wasProcessed(sql: Sql, consumer: string, eventId: string): Promise<boolean> {
  const { rowCount } = await preparedQuery(
    sql,
    'ch_was_processed',
    'SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2',
    [consumer, eventId],
  );
  return Boolean(rowCount);
}
