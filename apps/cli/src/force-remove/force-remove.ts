import type { Pool } from 'pg';
import { serverStreamId } from '@condorhub/contracts';
import { decideAndAppend } from '@condorhub/event-store';
import { type ServerState, decideForceRemove, foldServer } from '@condorhub/server-lifecycle';

/** Ends a server entry now (decideForceRemove); says what it did, as a line for the operator. */
export async function forceRemove(pool: Pool, user: string, serverName: string, by: string): Promise<string> {
  let state: ServerState | undefined;
  const outcome = await decideAndAppend(pool, serverStreamId(user, serverName), (events) => {
    state = foldServer(events);
    const decision = decideForceRemove(state, by);
    return decision.ok ? { events: decision.events, metadata: { actor: by, correlationId: state.spawnId } } : undefined;
  });
  if (outcome === 'declined' || !state) return `${user}/${serverName}: not running`;
  if (outcome === 'conflict') throw new Error(`${user}/${serverName} kept changing; try again`);
  return `${user}/${serverName}: removed (was ${state.phase}${state.jobId ? `, job ${state.jobId} is being removed` : ''})`;
}
