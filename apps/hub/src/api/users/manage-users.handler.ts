import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { UserName } from '@condorhub/contracts';
import { isActive } from '@condorhub/server-lifecycle';
import { AuthService } from '../../auth/auth.service';
import { HubError, badRequest } from '../../http/hub-error';
import { readAllGroups } from '../../store/groups';
import { HubStore } from '../../store/hub-store';
import { type ChangeOutcome, changeGroup, changeUser } from '../../store/user-changes';
import { ServerAccess, pathUserName } from '../servers/server-access';
import { StopServerHandler } from '../servers/stop-server/stop-server.handler';
import { userModel } from './models';

/** POST/PATCH/DELETE /users/<name> and POST /users: admin only, as events on `user-<name>`. */
@Injectable()
export class ManageUsersHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
    @Inject(StopServerHandler) private readonly stopper: StopServerHandler,
  ) {}

  async create(req: IncomingMessage, name: string, body: unknown) {
    const p = await this.auth.require(req, ['admin:users']);
    if (!UserName.safeParse(name).success) {
      throw badRequest(`Invalid username: ${name} (1-64 of a-z 0-9 . _ @ + -, starting with a letter or digit)`);
    }
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw badRequest('Request body must be a JSON object');
    }
    const { admin = false, ...rest } = (body ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(rest).filter((k) => k !== 'name' && k !== 'groups');
    if (typeof admin !== 'boolean') throw badRequest('admin must be true or false');
    if (unknown.length) throw badRequest(`Unknown fields: ${unknown.join(', ')}`);

    const by = p.user ?? 'admin-token';
    const knownFromSpawns = await this.store.knownFromSpawns(name);
    const outcome = await changeUser(this.store.pool, { kind: 'create', name, admin, by, knownFromSpawns }, by);
    if (outcome === 'exists') throw new HubError(409, `User ${name} already exists`);
    refuseConflict(name, outcome);
    const user = (await this.store.user(name))!;
    return userModel(user, new Map(), new Map(), p.scopes);
  }

  async delete(req: IncomingMessage, rawName: string): Promise<void> {
    const name = pathUserName(rawName);
    const p = await this.auth.require(req, ['delete:users'], { user: name });
    await this.servers.existingUser(name);
    await this.removeUser(name, p.user ?? 'admin-token');
  }

  /** Deletes a user who exists: their servers stopped, out of their groups, then UserDeleted. */
  async removeUser(name: string, by: string): Promise<void> {
    // Servers first, as JupyterHub does: a deleted user must not leave jobs behind.
    for (const [serverName, state] of await this.store.servers(name)) {
      if (isActive(state)) await this.stopper.stop(name, serverName, by, 'user deleted');
    }
    // Out of their groups too, as JupyterHub's delete cascades: a new user of the same name
    // must not inherit the memberships.
    for (const group of await readAllGroups(this.store.pool)) {
      if (group.users.includes(name)) await this.leaveGroup(group.name, name, by);
    }
    const knownFromSpawns = await this.store.knownFromSpawns(name);
    // 'missing': deleted by someone else meanwhile, which is what was asked.
    refuseConflict(name, await changeUser(this.store.pool, { kind: 'delete', name, by, knownFromSpawns }, by));
  }

  /**
   * PATCH /users/<name>: the admin flag. Renaming is refused: a user's name is part of every
   * stream, route and job of theirs, so a rename would have to rewrite history.
   */
  async patch(req: IncomingMessage, rawName: string, body: unknown) {
    const name = pathUserName(rawName);
    const p = await this.auth.require(req, ['admin:users'], { user: name });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('Request body must be a JSON object');
    }
    const { name: newName, admin, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length) throw badRequest(`Unknown fields: ${Object.keys(rest).join(', ')}`);
    if (newName !== undefined && newName !== name) {
      throw badRequest(
        `Renaming users is not supported by condorhub (${name} -> ${String(newName)}): create the new user and delete the old one`,
      );
    }
    if (admin !== undefined && typeof admin !== 'boolean') throw badRequest('admin must be true or false');
    const user = await this.servers.existingUser(name);
    const by = p.user ?? 'admin-token';
    if (admin !== undefined) {
      const knownFromSpawns = await this.store.knownFromSpawns(name);
      const outcome = await changeUser(this.store.pool, { kind: 'set-admin', name, admin, by, knownFromSpawns }, by);
      if (outcome === 'missing') throw new HubError(404, `No such user: ${name}`);
      refuseConflict(name, outcome);
    }
    return this.model(name, user.admin, p.scopes);
  }

  /**
   * POST /users {usernames, admin}: creates those that do not exist yet and returns them (201);
   * 409 when every one exists already. One bad name refuses the whole request.
   */
  async createMany(req: IncomingMessage, body: unknown) {
    const p = await this.auth.require(req, ['admin:users']);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('Request body must be a JSON object with usernames');
    }
    const { usernames, admin = false, ...rest } = body as Record<string, unknown>;
    if (Object.keys(rest).length) throw badRequest(`Unknown fields: ${Object.keys(rest).join(', ')}`);
    if (!Array.isArray(usernames) || usernames.length === 0 || usernames.length > 1000) {
      throw badRequest('usernames must be a list of 1-1000 user names');
    }
    if (typeof admin !== 'boolean') throw badRequest('admin must be true or false');
    const invalid = usernames.filter((n) => typeof n !== 'string' || !UserName.safeParse(n).success);
    if (invalid.length) throw badRequest(`Invalid usernames: ${invalid.map(String).join(', ')}`);
    const names = [...new Set(usernames as string[])];
    const added = await this.createUsers(names, admin, p.user ?? 'admin-token');
    if (!added.length) throw new HubError(409, `All ${names.length} users already exist`);
    const created: Record<string, unknown>[] = [];
    for (const name of added) created.push(await this.model(name, admin, p.scopes));
    return created;
  }

  /** Creates those of `names` (valid already) that do not exist yet; returns the ones created. */
  async createUsers(names: string[], admin: boolean, by: string): Promise<string[]> {
    const created: string[] = [];
    for (const name of names) {
      const knownFromSpawns = await this.store.knownFromSpawns(name);
      const outcome = await changeUser(this.store.pool, { kind: 'create', name, admin, by, knownFromSpawns }, by);
      // Existing (or being changed by others this very moment): not created by this request.
      if (outcome === 'recorded') created.push(name);
    }
    return created;
  }

  private async model(name: string, fallbackAdmin: boolean, scopes: string[]) {
    const user = (await this.store.user(name)) ?? {
      name,
      admin: fallbackAdmin,
      createdAt: new Date(),
      lastActivity: null,
    };
    const groups = (await readAllGroups(this.store.pool)).filter((g) => g.users.includes(name)).map((g) => g.name);
    const [servers, activity] = await Promise.all([this.store.servers(name), this.store.serverActivity(name)]);
    return userModel(user, servers, activity, scopes, { groups });
  }

  /** Takes `user` out of `group` (a group deleted meanwhile has no members to leave). */
  private async leaveGroup(group: string, user: string, by: string) {
    const outcome = await changeGroup(this.store.pool, group, { kind: 'remove-members', users: [user], by }, by);
    if (outcome === 'conflict') throw new HubError(409, `Group ${group} changed meanwhile; try again`);
  }
}

/** 409 when other writers kept changing the user's stream while this request decided. */
function refuseConflict(name: string, outcome: ChangeOutcome) {
  if (outcome === 'conflict') throw new HubError(409, `User ${name} changed meanwhile; try again`);
}
