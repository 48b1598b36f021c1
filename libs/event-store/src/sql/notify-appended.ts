import type { Sql } from '../db';
import { preparedQuery } from './prepared-query';

const NOTIFY_SQL = `SELECT pg_notify('ch_events_' || current_schema(), '')`;

/**
 * Wakes the schema's readers. Sent after the append has committed, in a transaction of its own:
 * a NOTIFY inside the append's transaction would hold PostgreSQL's database-wide notify lock
 * through that commit's WAL flush, serialising every append in the database. A lost wake-up
 * (crash between commit and notify) costs readers one poll interval, never an event.
 */
export async function notifyAppended(sql: Sql): Promise<void> {
  await preparedQuery(sql, 'ch_notify_appended', NOTIFY_SQL);
}

/**
 * The least time between two wake-ups sent on one pool. A NOTIFY round trip is quicker than an
 * append's (no WAL flush), so one in flight at a time alone merges few of them; this caps them
 * at ~1,000/s per pool, for at most this much added delay to the readers.
 */
export const WAKE_UP_GAP_MS = 1;

/** Per pool (or client): a wake-up pending or in flight, and whether to send another after it. */
const wakeUps = new WeakMap<Sql, { again: boolean }>();
const lastSent = new WeakMap<Sql, number>();

/**
 * notifyAppended, coalesced and not awaited: at most one in flight per `sql`, and one more sent
 * when it returns if any append committed meanwhile. Every commit is thus followed by a NOTIFY
 * sent after it (readers see the commit when woken), but busy writers pay one round trip per
 * burst instead of one per append. For a pool: a later send may run on any of its clients.
 */
export function wakeReaders(sql: Sql): void {
  const pending = wakeUps.get(sql);
  if (pending) {
    pending.again = true;
    return;
  }
  const state = { again: false };
  wakeUps.set(sql, state);
  const send = (): void => {
    const wait = (lastSent.get(sql) ?? -Infinity) + WAKE_UP_GAP_MS - performance.now();
    if (wait > 0) {
      setTimeout(send, wait);
      return;
    }
    // Appends that commit from now on need the next one.
    state.again = false;
    lastSent.set(sql, performance.now());
    notifyAppended(sql)
      .catch(() => undefined)
      .then(() => {
        if (state.again) send();
        else wakeUps.delete(sql);
      });
  };
  send();
}
