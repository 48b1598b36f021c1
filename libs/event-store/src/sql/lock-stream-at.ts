import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';
import { WrongExpectedVersionError } from '../errors';

/**
 * Inside a transaction: holds the stream where it is until commit (appends to it wait), or
 * throws WrongExpectedVersionError when it has moved past `expectedVersion`. For effects decided
 * on a stream's state that append nothing themselves (arming a timer), so a concurrent append
 * that would have changed the decision either comes first and is seen, or waits and comes after.
 */
export async function lockStreamAt(sql: Sql, streamId: string, expectedVersion: number): Promise<void> {
  const { rows } = await preparedQuery<{ version: string }>(
    sql,
    'ch_lock_stream',
    'SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE',
    [streamId],
  );
  const actual = rows.length ? Number(rows[0].version) : 0;
  if (actual !== expectedVersion) throw new WrongExpectedVersionError(streamId, expectedVersion, actual);
}
