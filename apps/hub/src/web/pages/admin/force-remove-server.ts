import type { Pool } from 'pg';
import { ServerName, UserName, serverStreamId } from '@condorhub/contracts';
import { decideAndAppend } from '@condorhub/event-store';
import { type ServerState, decideForceRemove, foldServer } from '@condorhub/server-lifecycle';
import { HubError, badRequest } from '../../../http/hub-error';
import { type AdminAudit, adminActor } from './admin-audit';

/**
 * POST /hub/admin/servers/force-remove: the entry of a stuck server ends now, by the same
 * decision as `condorhub force-remove` (decideForceRemove); the spawner still removes the job.
 */
export async function forceRemoveServer(
  pool: Pool,
  audit: AdminAudit,
  admin: string,
  form: Record<string, unknown>,
): Promise<string> {
  const { user, server = '' } = form;
  if (typeof user !== 'string' || !UserName.safeParse(user).success)
    throw badRequest('Whose server? (user is missing or not a user name)');
  if (typeof server !== 'string' || !ServerName.safeParse(server).success)
    throw badRequest('Which server? (not a server name)');
  const label = `${user}/${server}`;
  const by = adminActor(admin);
  let state: ServerState | undefined;
  const outcome = await decideAndAppend(pool, serverStreamId(user, server), (events) => {
    state = foldServer(events);
    const decision = decideForceRemove(state, by);
    return decision.ok ? { events: decision.events, metadata: { actor: by, correlationId: state.spawnId } } : undefined;
  });
  if (outcome === 'declined' || !state) throw new HubError(409, `${label} is not running: there is nothing to remove.`);
  if (outcome === 'conflict') throw new HubError(409, `${label} changed meanwhile; look again and retry.`);
  const summary = `removed (was ${state.phase}${state.jobId ? `, job ${state.jobId} is being removed` : ''})`;
  await audit.record(admin, 'server-force-removed', label, summary);
  return label;
}
