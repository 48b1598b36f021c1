import type { Sql } from '../db';
import { BEGINNING, type Checkpoint } from './read-all-forward';

export async function readCheckpoint(sql: Sql, processor: string): Promise<Checkpoint> {
  const { rows } = await sql.query<{ transaction_id: string; global_position: string }>(
    'SELECT transaction_id::text, global_position::text FROM checkpoints WHERE processor = $1',
    [processor],
  );
  return rows.length ? { transactionId: rows[0].transaction_id, globalPosition: rows[0].global_position } : BEGINNING;
}
