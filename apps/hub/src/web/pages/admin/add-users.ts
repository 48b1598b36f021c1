import { UserName } from '@condorhub/contracts';
import { HubError, badRequest } from '../../../http/hub-error';
import type { ManageUsersHandler } from '../../../api/users/manage-users.handler';
import { type AdminAudit, adminActor } from './admin-audit';

const MAX_NAMES = 200;

/** The names of the add-users form: one or several, separated by spaces, commas or new lines. */
export function parseNewUserNames(raw: unknown): string[] {
  if (typeof raw !== 'string' || !raw.trim())
    throw badRequest('Which users? Type one name, or several separated by spaces.');
  const names = [...new Set(raw.split(/[\s,;]+/).filter(Boolean))];
  if (names.length > MAX_NAMES) throw badRequest(`At most ${MAX_NAMES} users at a time (got ${names.length}).`);
  const invalid = names.filter((n) => !UserName.safeParse(n).success);
  if (invalid.length) {
    throw badRequest(
      `Not valid user names: ${invalid.map((n) => n.slice(0, 70)).join(', ')} (1-64 of a-z 0-9 . _ @ + -, starting with a letter or digit). No user was added.`,
    );
  }
  return names;
}

/** POST /hub/admin/users: creates those that do not exist yet; 409 when all exist. */
export async function addUsers(
  users: ManageUsersHandler,
  audit: AdminAudit,
  admin: string,
  form: Record<string, unknown>,
): Promise<string[]> {
  const names = parseNewUserNames(form.names);
  const makeAdmin = form.admin === 'on' || form.admin === 'true';
  const created = await users.createUsers(names, makeAdmin, adminActor(admin));
  if (!created.length) {
    throw new HubError(
      409,
      names.length === 1 ? `User ${names[0]} already exists.` : `All ${names.length} users already exist.`,
    );
  }
  const skipped = names.filter((n) => !created.includes(n));
  await audit.record(
    admin,
    'users-added',
    created.join(', '),
    [makeAdmin ? 'as admins' : '', skipped.length ? `already there: ${skipped.join(', ')}` : '']
      .filter(Boolean)
      .join('; ') || undefined,
  );
  return created;
}
