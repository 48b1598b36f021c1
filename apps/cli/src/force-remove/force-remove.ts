import type { Pool } from 'pg';
import { serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { decideForceRemove, foldServer } from '@condorhub/server-lifecycle';

/** `condorhub force-remove USER[/SERVER]`: see decideForceRemove. */
export async function forceRemove(pool: Pool, user: string, serverName: string, by: string): Promise<string> {
  const stream = serverStreamId(user, serverName);
  const state = foldServer(await readStream(pool, stream));
  const decision = decideForceRemove(state, by);
  if (!decision.removed) return `${user}/${serverName}: ${decision.why}`;
  await appendToStream(pool, stream, decision.events, {
    expectedVersion: state.streamVersion,
    metadata: { actor: by, correlationId: state.spawnId },
  });
  return `${user}/${serverName}: ${decision.summary}`;
}
