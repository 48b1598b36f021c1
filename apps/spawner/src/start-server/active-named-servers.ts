import { parseServerStreamId, serverStreamId } from '@condorhub/contracts';
import { type Sql, readStreamsByPrefix } from '@condorhub/event-store';
import { foldServer, isActive } from '@condorhub/server-lifecycle';

/**
 * How many of `user`'s named servers other than `except` are active, folded from the store
 * (not a read model, which may lag behind a start just accepted).
 */
export async function otherActiveNamedServers(sql: Sql, user: string, except: string): Promise<number> {
  let active = 0;
  for (const [streamId, events] of await readStreamsByPrefix(sql, 'server', serverStreamId(user, ''))) {
    const name = parseServerStreamId(streamId)?.serverName;
    if (name && name !== except && isActive(foldServer(events))) active++;
  }
  return active;
}
