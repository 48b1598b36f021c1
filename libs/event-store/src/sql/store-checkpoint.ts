import type { Sql } from '../db';
import { CheckpointConflictError } from '../errors';
import { preparedQuery } from './prepared-query';
import type { Checkpoint } from './read-all-forward';

/**
 * Moves a processor's checkpoint from `expected` to `next`, compare-and-set: if another instance
 * moved it meanwhile, throws CheckpointConflictError (and the caller's transaction rolls back).
 */
export async function storeCheckpoint(
  sql: Sql,
  processor: string,
  expected: Checkpoint,
  next: Checkpoint,
): Promise<void> {
  const { rowCount } = await preparedQuery(
    sql,
    'ch_store_checkpoint',
    `INSERT INTO checkpoints AS c (processor, transaction_id, global_position) VALUES ($1, $2::xid8, $3::bigint)
     ON CONFLICT (processor) DO UPDATE
       SET transaction_id = EXCLUDED.transaction_id, global_position = EXCLUDED.global_position, updated_at = now()
       WHERE (c.transaction_id, c.global_position) = ($4::xid8, $5::bigint)`,
    [processor, next.transactionId, next.globalPosition, expected.transactionId, expected.globalPosition],
  );
  if (!rowCount) throw new CheckpointConflictError(processor);
}
