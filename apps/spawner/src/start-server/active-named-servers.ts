import { parseServerStreamId, serverStreamId } from '@condorhub/contracts';
import type { Sql } from '@condorhub/event-store';
import { isActive } from '@condorhub/server-lifecycle';
import { loadServerStream } from '../server-stream';

/**
 * How many of `user`'s named servers other than `except` are active, folded from the store
 * (not a read model, which may lag behind a start just accepted).
 */
export async function otherActiveNamedServers(sql: Sql, user: string, except: string): Promise<number> {
  // starts_with, not LIKE: `_` is a wildcard there and common in user names.
  const { rows } = await sql.query<{ stream_id: string }>(
    `SELECT stream_id FROM streams WHERE category = 'server' AND starts_with(stream_id, $1)`,
    [serverStreamId(user, '')],
  );
  let active = 0;
  for (const { stream_id } of rows) {
    const name = parseServerStreamId(stream_id)?.serverName;
    if (!name || name === except) continue;
    if (isActive(await loadServerStream(sql, stream_id))) active++;
  }
  return active;
}
