import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { READ_MODELS } from '@condorhub/runtime';
import { AuthService } from '../../auth/auth.service';
import { badRequest } from '../../http/hub-error';
import { allServers } from '../../store/all-servers';
import { HubStore } from '../../store/hub-store';
import { ServerAccess, pathUserName } from '../servers/server-access';
import { userModel } from './models';

function intParam(value: unknown, name: string, def: number, max: number): number {
  if (value === undefined || value === '') return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw badRequest(`${name} must be an integer 0-${max}`);
  return n;
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
  async self(req: IncomingMessage) {
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
    const model = userModel(user, servers, activity, p.scopes);
    // Identifying oneself always shows name, admin flag and groups (JupyterHub's identify scopes).
    model.admin ??= user.admin;
    model.groups ??= [];
    return { ...model, scopes: p.scopes, session_id: p.sessionId };
  }

  async list(req: IncomingMessage, query: Record<string, unknown>) {
    const p = await this.auth.require(req, ['list:users']);
    const offset = intParam(query.offset, 'offset', 0, 1_000_000);
    const limit = intParam(query.limit, 'limit', 200, 10_000);
    const state = query.state;
    if (state !== undefined && !['active', 'ready', 'inactive'].includes(String(state))) {
      throw badRequest("state must be one of 'active', 'ready', 'inactive'");
    }
    const [users, all] = await Promise.all([this.store.listUsers(), allServers(this.ds, this.store.pool)]);
    const models = users.map((u) =>
      userModel(u, all.servers.get(u.name) ?? new Map(), all.activity.get(u.name) ?? new Map(), p.scopes),
    );
    const filtered = models.filter((m) => {
      if (state === undefined) return true;
      const servers = Object.values((m.servers ?? {}) as Record<string, { ready: boolean }>);
      if (state === 'active') return servers.length > 0;
      if (state === 'ready') return servers.some((s) => s.ready);
      return servers.length === 0;
    });
    return filtered.slice(offset, offset + limit);
  }

  async get(req: IncomingMessage, rawName: string) {
    const name = pathUserName(rawName);
    const p = await this.auth.require(req, ['read:users', 'read:users:name', 'read:servers'], { user: name });
    const user = await this.servers.existingUser(name);
    const [servers, activity] = await Promise.all([this.store.servers(name), this.store.serverActivity(name)]);
    return userModel(user, servers, activity, p.scopes);
  }
}
