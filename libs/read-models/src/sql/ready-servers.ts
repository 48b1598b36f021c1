import type { Sql } from '@condorhub/event-store';

/** The servers the read model has as ready, longest ready first. */
export async function readyServers(sql: Sql): Promise<{ user: string; serverName: string }[]> {
  const { rows } = await sql.query<{ user_name: string; server_name: string }>(
    "SELECT user_name, server_name FROM servers WHERE phase = 'ready' ORDER BY ready_at",
  );
  return rows.map((r) => ({ user: r.user_name, serverName: r.server_name }));
}
