import type { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { ServerRow } from '@condorhub/read-models';
import type { ServerState } from '@condorhub/server-lifecycle';

/** Every server and activity from the read model, grouped by user: for lists, where lag is fine. */
export async function allServers(
  ds: DataSource,
  pool: Pool,
): Promise<{ servers: Map<string, Map<string, ServerState>>; activity: Map<string, Map<string, Date>> }> {
  const rows = await ds.getRepository(ServerRow).find();
  const servers = new Map<string, Map<string, ServerState>>();
  for (const r of rows) {
    if (!servers.has(r.userName)) servers.set(r.userName, new Map());
    servers.get(r.userName)!.set(r.serverName, r.state);
  }
  const { rows: acts } = await pool.query<{ user_name: string; server_name: string; last_activity: Date }>(
    'SELECT user_name, server_name, last_activity FROM server_activity',
  );
  const activity = new Map<string, Map<string, Date>>();
  for (const a of acts) {
    if (!activity.has(a.user_name)) activity.set(a.user_name, new Map());
    activity.get(a.user_name)!.set(a.server_name, a.last_activity);
  }
  return { servers, activity };
}
