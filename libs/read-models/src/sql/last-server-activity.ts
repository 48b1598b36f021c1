import type { Sql } from '@condorhub/event-store';

// The hub owns `server_activity` (it records what the proxy reports); other services read it
// only through these two functions.

/** Whether the hub's activity table exists (not before a hub has migrated this database). */
export async function serverActivityKnown(sql: Sql): Promise<boolean> {
  const { rows } = await sql.query<{ t: string | null }>("SELECT to_regclass('server_activity') AS t");
  return Boolean(rows[0].t);
}

/** A server's last recorded activity, or null when none was recorded. */
export async function lastServerActivity(sql: Sql, user: string, serverName: string): Promise<Date | null> {
  const { rows } = await sql.query<{ last_activity: Date }>(
    'SELECT last_activity FROM server_activity WHERE user_name = $1 AND server_name = $2',
    [user, serverName],
  );
  return rows[0]?.last_activity ?? null;
}
