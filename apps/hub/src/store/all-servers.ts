import type { DataSource } from 'typeorm';
import type { Pool } from 'pg';
import { parseServerStreamId } from '@condorhub/contracts';
import { listStreamVersions, readStream } from '@condorhub/event-store';
import { listServers } from '@condorhub/read-models';
import { type ServerState, foldServer, initialServerState } from '@condorhub/server-lifecycle';
import { readAllServerActivity } from './activity';

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
  const [rows, streams] = await Promise.all([listServers(ds), listStreamVersions(pool, { category: 'server' })]);
  const projected = new Map(rows.map((r) => [r.streamId, r.state]));
  const states = new Map(projected);
  for (const s of streams) {
    const known = projected.get(s.streamId);
    if (known && known.streamVersion >= s.version) continue;
    const from = known ?? initialServerState();
    states.set(s.streamId, foldServer(await readStream(pool, s.streamId, from.streamVersion + 1), from));
  }
  const servers = new Map<string, Map<string, ServerState>>();
  for (const [streamId, state] of states) {
    const key = parseServerStreamId(streamId);
    if (!key) continue;
    if (!servers.has(key.user)) servers.set(key.user, new Map());
    servers.get(key.user)!.set(key.serverName, state);
  }
  return { servers, activity: await readAllServerActivity(pool) };
}
