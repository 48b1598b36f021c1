import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { GroupName, UserName } from '@condorhub/contracts';
import type { GroupCommand } from '@condorhub/users';
import { AuthService } from '../../auth/auth.service';
import { HubError, badRequest } from '../../http/hub-error';
import { type GroupState, readAllGroups, readGroup } from '../../store/groups';
import { HubStore } from '../../store/hub-store';
import { changeGroup } from '../../store/user-changes';
import { type Page, paginate } from '../pagination';

/** JupyterHub's group model. Roles and properties are not kept by condorhub: always empty. */
export function groupModel(g: GroupState) {
  return { kind: 'group', name: g.name, users: g.users, roles: [], properties: {} };
}

function pathGroupName(raw: string): string {
  if (!GroupName.safeParse(raw).success) throw new HubError(404, `No such group: ${raw}`);
  return raw;
}

/** The `key` list of a JSON body, each a valid name; 400 with the bad ones named otherwise. */
function namesIn(body: unknown, key: string, schema: typeof UserName | typeof GroupName, required: boolean): string[] {
  if (body === undefined || body === null || body === '') {
    if (required) throw badRequest(`Request body must be a JSON object with ${key}`);
    return [];
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  const { [key]: list, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length) throw badRequest(`Unknown fields: ${Object.keys(rest).join(', ')}`);
  if (list === undefined && !required) return [];
  if (!Array.isArray(list) || (required && list.length === 0) || list.length > 10_000) {
    throw badRequest(`${key} must be a list of ${required ? '1-10000' : 'up to 10000'} names`);
  }
  const bad = list.filter((n) => typeof n !== 'string' || !schema.safeParse(n).success);
  if (bad.length) throw badRequest(`Invalid ${key}: ${bad.map(String).join(', ')}`);
  return [...new Set(list as string[])];
}

/**
 * /hub/api/groups: create, list, read and delete groups and change their members, each write
 * an event on the group's stream appended at the version it was decided on.
 */
@Injectable()
export class GroupsHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
  ) {}

  async list(req: IncomingMessage, page: Page) {
    await this.auth.require(req, ['list:groups', 'read:groups']);
    return paginate(req, (await readAllGroups(this.store.pool)).map(groupModel), page);
  }

  async get(req: IncomingMessage, rawName: string) {
    const name = pathGroupName(rawName);
    await this.auth.require(req, ['read:groups', 'read:groups:name'], { group: name });
    return groupModel(await this.existing(name));
  }

  /** POST /groups {groups: [...]}: all or none; 409 if one exists. */
  async createMany(req: IncomingMessage, body: unknown) {
    const p = await this.auth.require(req, ['admin:groups']);
    const names = namesIn(body, 'groups', GroupName, true);
    const states = await Promise.all(names.map((n) => readGroup(this.store.pool, n)));
    const taken = states.filter((g) => g.exists).map((g) => g.name);
    if (taken.length) throw new HubError(409, `Group ${taken.join(', ')} already exists`);
    const created = [];
    for (const g of states) {
      await this.change(g.name, { kind: 'create', users: [], by: this.actor(p.user) });
      created.push(groupModel(await readGroup(this.store.pool, g.name)));
    }
    return created;
  }

  /** POST /groups/<name> {users?: [...]}. */
  async create(req: IncomingMessage, rawName: string, body: unknown) {
    const p = await this.auth.require(req, ['admin:groups']);
    const name = GroupName.safeParse(rawName).success ? rawName : undefined;
    if (!name) throw badRequest(`Invalid group name: ${rawName} (1-64 of A-Z a-z 0-9 . _ @ + -)`);
    const users = namesIn(body, 'users', UserName, false);
    await this.requireUsers(users);
    await this.change(name, { kind: 'create', users, by: this.actor(p.user) });
    return groupModel(await readGroup(this.store.pool, name));
  }

  async delete(req: IncomingMessage, rawName: string): Promise<void> {
    const name = pathGroupName(rawName);
    const p = await this.auth.require(req, ['delete:groups'], { group: name });
    await this.change(name, { kind: 'delete', by: this.actor(p.user) });
  }

  /** POST/DELETE /groups/<name>/users {users: [...]}: only the change is recorded; none is a no-op. */
  async changeMembers(req: IncomingMessage, rawName: string, body: unknown, change: 'add' | 'remove') {
    const name = pathGroupName(rawName);
    const p = await this.auth.require(req, ['groups'], { group: name });
    const users = namesIn(body, 'users', UserName, true);
    await this.existing(name);
    if (change === 'add') await this.requireUsers(users);
    const kind = change === 'add' ? 'add-members' : 'remove-members';
    await this.change(name, { kind, users, by: this.actor(p.user) });
    return groupModel(await readGroup(this.store.pool, name));
  }

  private actor(user: string | undefined): string {
    return user ?? 'admin-token';
  }

  private async existing(name: string): Promise<GroupState> {
    const g = await readGroup(this.store.pool, name);
    if (!g.exists) throw new HubError(404, `No such group: ${name}`);
    return g;
  }

  private async requireUsers(users: string[]) {
    const missing: string[] = [];
    for (const u of users) if (!(await this.store.user(u))) missing.push(u);
    if (missing.length) throw badRequest(`No such users: ${missing.join(', ')}`);
  }

  /** Records what the command decides on the group as stored, deciding again if another request got in first. */
  private async change(name: string, cmd: GroupCommand) {
    const outcome = await changeGroup(this.store.pool, name, cmd, cmd.by);
    if (outcome === 'exists') throw new HubError(409, `Group ${name} already exists`);
    if (outcome === 'missing') throw new HubError(404, `No such group: ${name}`);
    if (outcome === 'conflict') throw new HubError(409, `Group ${name} changed meanwhile; try again`);
  }
}
