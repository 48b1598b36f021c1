import { ContractError, type NewEvent } from '@condorhub/contracts';
import type { Pool } from 'pg';
import { withTransaction } from '../db';
import { DuplicateEventError } from '../errors';
import { appendToStream } from './append-to-stream';

/** Tries of a timer that fails to fire before it is set aside (`failed_at`) for an operator. */
export const TIMER_MAX_ATTEMPTS = 5;

export interface TimerFailure {
  timerKey: string;
  streamId: string;
  attempts: number;
  /** The timer is set aside for good (no more tries). */
  givenUp: boolean;
  error: unknown;
}

/**
 * Turns due timers into events, each in its own transaction: a row that cannot fire (a payload
 * that no longer parses, a refused append, …) is put off with a backoff, and set aside after
 * TIMER_MAX_ATTEMPTS tries, while the others fire. Rows are claimed with SKIP LOCKED, so several
 * schedulers can run; the append and the fired mark commit together, so each timer fires exactly
 * once. Returns how many due rows it handled (fired or put off).
 */
export async function fireDueMessages(
  pool: Pool,
  limit = 100,
  onFailure: (failure: TimerFailure) => void = () => undefined,
): Promise<number> {
  const { rows: due } = await pool.query<{ id: string }>(
    `SELECT id FROM scheduled_messages
      WHERE fired_at IS NULL AND failed_at IS NULL AND due_at <= now() ORDER BY due_at LIMIT $1`,
    [limit],
  );
  let handled = 0;
  for (const { id } of due) {
    let claimed: { timer_key: string; stream_id: string; attempts: number } | undefined;
    try {
      claimed = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{
          timer_key: string;
          stream_id: string;
          type: string;
          data: unknown;
          metadata: Record<string, string>;
          event_id: string;
          attempts: number;
        }>(
          `SELECT timer_key, stream_id, type, data, metadata, event_id, attempts FROM scheduled_messages
            WHERE id = $1 AND fired_at IS NULL AND failed_at IS NULL AND due_at <= now() FOR UPDATE SKIP LOCKED`,
          [id],
        );
        const row = rows[0];
        // Fired, cancelled or claimed by another scheduler meanwhile.
        if (!row) return undefined;
        claimed = row;
        await appendToStream(tx, row.stream_id, [{ type: row.type, data: row.data } as NewEvent], {
          metadata: row.metadata,
          eventIds: [row.event_id],
        });
        await tx.query('UPDATE scheduled_messages SET fired_at = now() WHERE id = $1', [id]);
        return row;
      });
      if (claimed) handled++;
    } catch (error) {
      if (!claimed) throw error; // the store itself failed (down, say): the scheduler tries again later
      handled++;
      await recordFailure(pool, id, claimed, error, onFailure);
    }
  }
  return handled;
}

async function recordFailure(
  pool: Pool,
  id: string,
  row: { timer_key: string; stream_id: string; attempts: number },
  error: unknown,
  onFailure: (failure: TimerFailure) => void,
) {
  if (error instanceof DuplicateEventError) {
    // Its event is already stored (an earlier fire whose mark was lost): it has fired.
    await pool.query('UPDATE scheduled_messages SET fired_at = now() WHERE id = $1 AND fired_at IS NULL', [id]);
    return;
  }
  const attempts = row.attempts + 1;
  // A payload its contract refuses never gets better: set it aside at once.
  const givenUp = error instanceof ContractError || attempts >= TIMER_MAX_ATTEMPTS;
  await pool.query(
    `UPDATE scheduled_messages
        SET attempts = $2, last_error = $3,
            due_at = now() + make_interval(secs => $4), failed_at = CASE WHEN $5 THEN now() END
      WHERE id = $1 AND fired_at IS NULL`,
    [id, attempts, String((error as Error)?.message ?? error).slice(0, 2000), Math.min(300, 2 ** attempts), givenUp],
  );
  onFailure({ timerKey: row.timer_key, streamId: row.stream_id, attempts, givenUp, error });
}

/** When the next timer is due, to sleep until then. */
export async function nextDueAt(pool: Pool): Promise<Date | null> {
  const { rows } = await pool.query<{ due: Date | null }>(
    'SELECT min(due_at) AS due FROM scheduled_messages WHERE fired_at IS NULL AND failed_at IS NULL',
  );
  return rows[0]?.due ?? null;
}
