import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_MODELS } from '@condorhub/runtime';
import { isActive } from '@condorhub/server-lifecycle';
import { AuthService } from '../../auth/auth.service';
import { badRequest } from '../../http/hub-error';
import { allServers } from '../../store/all-servers';
import { groupsByUser, readAllGroups } from '../../store/groups';
import { pageOf, paginate } from '../pagination';
import { HubStore } from '../../store/hub-store';
import { ServerAccess, pathUserName } from '../servers/server-access';
import { userModel } from './models';

/** JupyterHub's flag parameters are present or absent: `?include_stopped_servers` is true. */
function flagParam(value: unknown): boolean {
  return value !== undefined && !['0', 'false', 'no'].includes(String(value).toLowerCase());
}

/** GET /user, GET /users, GET /users/<name>. */
@Injectable()
export class ReadUsersHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
    @Inject(READ_MODELS) private readonly ds: DataSource,
  ) {}

  /** The token's owner with the token's expanded scopes, as jupyterhub-singleuser asks for it. */
  async self(req: IncomingMessage, query: Record<string, unknown> = {}) {
    const p = await this.auth.principal(req);
    if (!p.user) {
      // The admin token is not a user: JupyterHub describes such a caller as a service.
      return {
        kind: 'service',
        name: 'condorhub-admin',
        admin: true,
        roles: ['admin'],
        scopes: p.scopes,
        session_id: null,
      };
    }
    const user = (await this.store.user(p.user)) ?? {
      name: p.user,
      admin: false,
      createdAt: new Date(0),
      lastActivity: null,
    };
    const [servers, activity] = await Promise.all([this.store.servers(p.user), this.store.serverActivity(p.user)]);
    const groups = groupsByUser(await readAllGroups(this.store.pool)).get(p.user) ?? [];
    const model = userModel(user, servers, activity, p.scopes, {
      groups,
      includeStopped: flagParam(query.include_stopped_servers),
    });
    // Identifying oneself always shows name, admin flag and groups (JupyterHub's identify scopes).
    model.admin ??= user.admin;
    model.groups ??= groups;
    return { ...model, scopes: p.scopes, session_id: p.sessionId };
  }

  async list(req: IncomingMessage, query: Record<string, unknown>) {
    const p = await this.auth.require(req, ['list:users']);
    const page = pageOf(query);
    const includeStopped = flagParam(query.include_stopped_servers);
    const state = query.state;
    if (state !== undefined && !['active', 'ready', 'inactive'].includes(String(state))) {
      throw badRequest("state must be one of 'active', 'ready', 'inactive'");
    }
    const [users, all, groups] = await Promise.all([
      this.store.listUsers(),
      allServers(this.ds, this.store.pool),
      readAllGroups(this.store.pool),
    ]);
    const memberOf = groupsByUser(groups);
    const filtered = users.filter((u) => {
      if (state === undefined) return true;
      const active = [...(all.servers.get(u.name)?.values() ?? [])].filter(isActive);
      if (state === 'active') return active.length > 0;
      if (state === 'ready') return active.some((s) => s.phase === 'ready');
      return active.length === 0;
    });
    const models = filtered.map((u) =>
      userModel(u, all.servers.get(u.name) ?? new Map(), all.activity.get(u.name) ?? new Map(), p.scopes, {
        groups: memberOf.get(u.name) ?? [],
        includeStopped,
      }),
    );
    return paginate(req, models, page);
  }

  async get(req: IncomingMessage, rawName: string, query: Record<string, unknown> = {}) {
    const name = pathUserName(rawName);
    const p = await this.auth.require(req, ['read:users', 'read:users:name', 'read:servers'], { user: name });
    const user = await this.servers.existingUser(name);
    const [servers, activity] = await Promise.all([this.store.servers(name), this.store.serverActivity(name)]);
    const groups = groupsByUser(await readAllGroups(this.store.pool)).get(name) ?? [];
    return userModel(user, servers, activity, p.scopes, {
      groups,
      includeStopped: flagParam(query.include_stopped_servers),
    });
  }
}
