import type { Pool } from 'pg';
import type { Migration } from '@condorhub/event-store';

// Activity is hub-owned state, not events: every notebook reports it every few minutes, which
// would flood the log, and read-model tables are rebuilt from events (it would be lost).
export const activitySchema: Migration = {
  id: '300_hub',
  sql: `
CREATE TABLE server_activity (
  user_name text NOT NULL,
  server_name text NOT NULL,
  last_activity timestamptz NOT NULL,
  PRIMARY KEY (user_name, server_name)
);
CREATE TABLE user_activity (
  user_name text PRIMARY KEY,
  last_activity timestamptz NOT NULL
);
`,
};

/** The hub's own activity tables (user_activity, server_activity): every query on them. */

export async function readUserActivity(pool: Pool, user: string): Promise<Date | null> {
  const { rows } = await pool.query<{ last_activity: Date }>(
    'SELECT last_activity FROM user_activity WHERE user_name = $1',
    [user],
  );
  return rows[0]?.last_activity ?? null;
}

/** Every user's last activity, by user name. */
export async function readAllUserActivity(pool: Pool): Promise<Map<string, Date>> {
  const { rows } = await pool.query<{ user_name: string; last_activity: Date }>(
    'SELECT user_name, last_activity FROM user_activity',
  );
  return new Map(rows.map((a) => [a.user_name, a.last_activity]));
}

/** One user's servers' last activity, by server name. */
export async function readServerActivity(pool: Pool, user: string): Promise<Map<string, Date>> {
  const { rows } = await pool.query<{ server_name: string; last_activity: Date }>(
    'SELECT server_name, last_activity FROM server_activity WHERE user_name = $1',
    [user],
  );
  return new Map(rows.map((r) => [r.server_name, r.last_activity]));
}

/** Every server's last activity, by user, then server name. */
export async function readAllServerActivity(pool: Pool): Promise<Map<string, Map<string, Date>>> {
  const { rows } = await pool.query<{ user_name: string; server_name: string; last_activity: Date }>(
    'SELECT user_name, server_name, last_activity FROM server_activity',
  );
  const activity = new Map<string, Map<string, Date>>();
  for (const a of rows) {
    if (!activity.has(a.user_name)) activity.set(a.user_name, new Map());
    activity.get(a.user_name)!.set(a.server_name, a.last_activity);
  }
  return activity;
}

/**
 * Moves users' and servers' last_activity forward; an older timestamp than the stored one
 * changes nothing (as JupyterHub). One statement per table, however many entries; one entry
 * per key, since a statement's ON CONFLICT may touch each row once.
 */
export async function recordActivity(
  pool: Pool,
  users: Map<string, Date>,
  servers: [user: string, server: string, at: Date][],
): Promise<void> {
  if (users.size) {
    await pool.query(
      `INSERT INTO user_activity (user_name, last_activity) SELECT * FROM unnest($1::text[], $2::timestamptz[])
       ON CONFLICT (user_name) DO UPDATE SET last_activity = GREATEST(user_activity.last_activity, EXCLUDED.last_activity)`,
      [[...users.keys()], [...users.values()]],
    );
  }
  if (servers.length) {
    await pool.query(
      `INSERT INTO server_activity (user_name, server_name, last_activity)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (user_name, server_name)
       DO UPDATE SET last_activity = GREATEST(server_activity.last_activity, EXCLUDED.last_activity)`,
      [servers.map((r) => r[0]), servers.map((r) => r[1]), servers.map((r) => r[2])],
    );
  }
}
