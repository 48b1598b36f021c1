import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

/** Disarms a timer that has not fired; true if there was one. */
export async function cancelScheduledMessage(sql: Sql, timerKey: string): Promise<boolean> {
  const { rowCount } = await preparedQuery(
    sql,
    'ch_cancel_scheduled_message',
    'DELETE FROM scheduled_messages WHERE timer_key = $1 AND fired_at IS NULL',
    [timerKey],
  );
  return rowCount === 1;
}
