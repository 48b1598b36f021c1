import type { Sql } from '../db';
import type { Checkpoint } from './read-all-forward';

/**
 * The events of the given types after a checkpoint, in log order, without their envelopes:
 * what a reader applies on top of a projection that has reached the checkpoint.
 */
export async function readTypesAfter(
  sql: Sql,
  after: Checkpoint,
  types: readonly string[],
): Promise<{ type: string; data: unknown; recordedAt: Date }[]> {
  const { rows } = await sql.query<{ type: string; data: unknown; recorded_at: Date }>(
    `SELECT type, data, recorded_at FROM events
      WHERE (transaction_id, global_position) > ($1::xid8, $2::bigint) AND type = ANY($3::text[])
      ORDER BY transaction_id, global_position`,
    [after.transactionId, after.globalPosition, types],
  );
  return rows.map((r) => ({ type: r.type, data: r.data, recordedAt: r.recorded_at }));
}
