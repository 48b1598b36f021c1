import { serverStreamId } from '@condorhub/contracts';
import { type Sql, readStream } from '@condorhub/event-store';
import { type ServerState, foldServer } from '@condorhub/server-lifecycle';

/** A server's state, folded from its whole stream: the spawner decides on the store, not on a read model. */
export async function loadServer(sql: Sql, user: string, serverName: string): Promise<ServerState> {
  return loadServerStream(sql, serverStreamId(user, serverName));
}

export async function loadServerStream(sql: Sql, streamId: string): Promise<ServerState> {
  return foldServer(await readStream(sql, streamId));
}
