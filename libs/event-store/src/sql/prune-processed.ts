import type { Sql } from '../db';

export interface PruneResult {
  inbox: number;
  firedTimers: number;
}

/**
 * Deletes inbox rows and fired timers older than `retentionS`, `batch` rows per statement (each
 * its own short transaction on a pool), so pruning a large backlog never holds locks for long
 * nor stalls event readers. An inbox row must outlive every redelivery of its event; the
 * caller's retention is validated against that (CONDORHUB_INBOX_RETENTION_S).
 */
export async function pruneProcessed(sql: Sql, retentionS: number, batch = 1_000): Promise<PruneResult> {
  if (!(retentionS > 0)) throw new Error(`pruneProcessed: invalid retention ${retentionS}`);
  const result: PruneResult = { inbox: 0, firedTimers: 0 };
  const prune = async (statement: string) => {
    let total = 0;
    for (;;) {
      const { rowCount } = await sql.query(statement, [retentionS, batch]);
      total += rowCount ?? 0;
      if ((rowCount ?? 0) < batch) return total;
    }
  };
  result.inbox = await prune(
    `DELETE FROM inbox WHERE (consumer, event_id) IN (
       SELECT consumer, event_id FROM inbox WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2)`,
  );
  result.firedTimers = await prune(
    `DELETE FROM scheduled_messages WHERE id IN (
       SELECT id FROM scheduled_messages
        WHERE fired_at IS NOT NULL AND fired_at < now() - make_interval(secs => $1) LIMIT $2)`,
  );
  return result;
}
