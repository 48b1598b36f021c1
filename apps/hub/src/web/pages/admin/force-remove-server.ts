import type { Pool } from 'pg';
import { ServerName, UserName, serverStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream, readStream } from '@condorhub/event-store';
import { decideForceRemove, foldServer } from '@condorhub/server-lifecycle';
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
  const stream = serverStreamId(user, server);
  const state = foldServer(await readStream(pool, stream));
  const by = adminActor(admin);
  const decision = decideForceRemove(state, by);
  if (!decision.removed) throw new HubError(409, `${label} is ${decision.why}: there is nothing to remove.`);
  try {
    await appendToStream(pool, stream, decision.events, {
      expectedVersion: state.streamVersion,
      metadata: { actor: by, correlationId: state.spawnId },
    });
  } catch (error) {
    if (error instanceof WrongExpectedVersionError)
      throw new HubError(409, `${label} changed meanwhile; look again and retry.`);
    throw error;
  }
  await audit.record(admin, 'server-force-removed', label, decision.summary);
  return label;
}
