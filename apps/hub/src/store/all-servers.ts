import type { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { parseServerStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { ServerRow } from '@condorhub/read-models';
import { type ServerState, foldServer, initialServerState } from '@condorhub/server-lifecycle';

/**
 * Every server and activity, grouped by user: the read model, with the events it has not
 * projected yet folded in. A list read right after a start (the idle culler's, an admin
 * page's) then shows what the start wrote, as a single user's read does; only the few
 * streams the projector is behind on are read.
 */
export async function allServers(
  ds: DataSource,
  pool: Pool,
): Promise<{ servers: Map<string, Map<string, ServerState>>; activity: Map<string, Map<string, Date>> }> {
  const [rows, { rows: streams }] = await Promise.all([
    ds.getRepository(ServerRow).find(),
    pool.query<{ stream_id: string; version: string }>(
      "SELECT stream_id, version::text AS version FROM streams WHERE category = 'server'",
    ),
  ]);
  const projected = new Map(rows.map((r) => [r.streamId, r.state]));
  const states = new Map(projected);
  for (const s of streams) {
    const known = projected.get(s.stream_id);
    if (known && known.streamVersion >= Number(s.version)) continue;
    const from = known ?? initialServerState();
    states.set(s.stream_id, foldServer(await readStream(pool, s.stream_id, from.streamVersion + 1), from));
  }
  const servers = new Map<string, Map<string, ServerState>>();
  for (const [streamId, state] of states) {
    const key = parseServerStreamId(streamId);
    if (!key) continue;
    if (!servers.has(key.user)) servers.set(key.user, new Map());
    servers.get(key.user)!.set(key.serverName, state);
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
