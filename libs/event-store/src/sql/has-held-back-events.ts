import type { Sql } from '../db';
import type { Checkpoint } from './read-all-forward';
import { READ_HORIZON_SQL } from './read-horizon';

/**
 * Whether events after the checkpoint have committed but are not yet safe to read, because an
 * older transaction that could append is still in flight. A reader that sees this waits
 * briefly and reads again: the blocking transaction may not notify when it ends.
 */
export async function hasHeldBackEvents(sql: Sql, after: Checkpoint): Promise<boolean> {
  const { rows } = await sql.query<{ held: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM events
        WHERE transaction_id >= ${READ_HORIZON_SQL}
          AND (transaction_id, global_position) > ($1::xid8, $2::bigint)
     ) AS held`,
    [after.transactionId, after.globalPosition],
  );
  return rows[0].held;
}
