import type { Sql } from '@condorhub/event-store';

export interface ServerInPhase {
  user: string;
  serverName: string;
  spawnId: string;
  host: string;
  port: number;
}

/** The projected servers in one phase, with where their notebook is (the handshakes to resume, say). */
export async function listServersInPhase(sql: Sql, phase: string): Promise<ServerInPhase[]> {
  const { rows } = await sql.query<{
    user_name: string;
    server_name: string;
    spawn_id: string;
    host: string;
    port: number;
  }>('SELECT user_name, server_name, spawn_id, host, port FROM servers WHERE phase = $1', [phase]);
  return rows.map((r) => ({
    user: r.user_name,
    serverName: r.server_name,
    spawnId: r.spawn_id,
    host: r.host,
    port: r.port,
  }));
}
