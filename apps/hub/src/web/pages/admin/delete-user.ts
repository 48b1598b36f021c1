import { UserName } from '@condorhub/contracts';
import { isActive } from '@condorhub/server-lifecycle';
import { HubError, badRequest } from '../../../http/hub-error';
import type { ManageUsersHandler } from '../../../api/users/manage-users.handler';
import type { HubStore } from '../../../store/hub-store';
import { type AdminAudit, adminActor } from './admin-audit';

/**
 * POST /hub/admin/users/delete: as JupyterHub, the user's running servers are stopped first
 * (ManageUsersHandler.removeUser, the REST API's path); an admin cannot delete themself.
 */
export async function deleteUser(
  users: ManageUsersHandler,
  store: HubStore,
  audit: AdminAudit,
  admin: string,
  form: Record<string, unknown>,
): Promise<string> {
  const name = form.name;
  if (typeof name !== 'string' || !UserName.safeParse(name).success)
    throw badRequest('Which user? (name is missing or not a user name)');
  if (name === admin) throw badRequest('You cannot delete yourself; ask another admin.');
  if (!(await store.user(name))) throw new HubError(404, `There is no user ${name}.`);
  const stopped = [...(await store.servers(name))].filter(([, s]) => isActive(s)).map(([n]) => n || 'default');
  await users.removeUser(name, adminActor(admin));
  await audit.record(
    admin,
    'user-deleted',
    name,
    stopped.length ? `servers stopped: ${stopped.join(', ')}` : undefined,
  );
  return name;
}
