import type { Sql } from '../db';

/**
 * Wakes the schema's readers. Sent after the append has committed, in a transaction of its own:
 * a NOTIFY inside the append's transaction would hold PostgreSQL's database-wide notify lock
 * through that commit's WAL flush, serialising every append in the database. A lost wake-up
 * (crash between commit and notify) costs readers one poll interval, never an event.
 */
export async function notifyAppended(sql: Sql): Promise<void> {
  await sql.query(`SELECT pg_notify('ch_events_' || current_schema(), '')`);
}
