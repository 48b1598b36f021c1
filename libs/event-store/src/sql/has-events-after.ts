import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';
import type { Checkpoint } from './read-all-forward';

/**
 * Whether any committed event lies after the checkpoint. Asked when a read found nothing: such
 * events are held back by an older transaction still in flight, or became readable since the
 * read. Either way the reader looks again soon, since the transaction that held them back may
 * end without notifying anyone.
 */
export async function hasEventsAfter(sql: Sql, after: Checkpoint): Promise<boolean> {
  const { rows } = await preparedQuery<{ found: boolean }>(
    sql,
    'ch_has_events_after',
    `SELECT EXISTS (
       SELECT 1 FROM events WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint)
     ) AS found`,
    [after.transactionId, after.globalPosition],
  );
  return rows[0].found;
}
