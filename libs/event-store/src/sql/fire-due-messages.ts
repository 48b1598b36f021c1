import type { NewEvent } from '@condorhub/contracts';
import type { Pool } from 'pg';
import { withTransaction } from '../db';
import { appendToStream } from './append-to-stream';

/**
 * Turns due timers into events. Rows are claimed with SKIP LOCKED, so several schedulers can
 * run; the append and the fired mark commit together, so each timer fires exactly once.
 */
export async function fireDueMessages(pool: Pool, limit = 100): Promise<number> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{
      id: string;
      stream_id: string;
      type: string;
      data: unknown;
      metadata: Record<string, string>;
      event_id: string;
    }>(
      `SELECT id, stream_id, type, data, metadata, event_id FROM scheduled_messages
        WHERE fired_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
    );
    for (const row of rows) {
      await appendToStream(tx, row.stream_id, [{ type: row.type, data: row.data } as NewEvent], {
        metadata: row.metadata,
        eventIds: [row.event_id],
      });
      await tx.query('UPDATE scheduled_messages SET fired_at = now() WHERE id = $1', [row.id]);
    }
    return rows.length;
  });
}

/** When the next timer is due, to sleep until then. */
export async function nextDueAt(pool: Pool): Promise<Date | null> {
  const { rows } = await pool.query<{ due: Date | null }>(
    'SELECT min(due_at) AS due FROM scheduled_messages WHERE fired_at IS NULL',
  );
  return rows[0]?.due ?? null;
}
