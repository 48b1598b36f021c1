import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { UserName, newEvent, userStreamId } from '@condorhub/contracts';
import { WrongExpectedVersionError, appendToStream } from '@condorhub/event-store';
import { isActive } from '@condorhub/server-lifecycle';
import { AuthService } from '../../auth/auth.service';
import { HubError, badRequest } from '../../http/hub-error';
import { HubStore } from '../../store/hub-store';
import { ServerAccess, pathUserName } from '../servers/server-access';
import { StopServerHandler } from '../servers/stop-server/stop-server.handler';
import { userModel } from './models';

/** POST /users/<name> and DELETE /users/<name>: admin only, as events on `user-<name>`. */
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

    const stream = await this.store.userStream(name);
    if (stream.exists || (stream.version === 0 && (await this.store.user(name)))) {
      throw new HubError(409, `User ${name} already exists`);
    }
    try {
      await appendToStream(
        this.store.pool,
        userStreamId(name),
        [newEvent('UserCreated', { name, admin, by: p.user ?? 'admin-token' })],
        {
          expectedVersion: stream.version === 0 ? 'no_stream' : stream.version,
          metadata: { actor: p.user ?? 'admin-token' },
        },
      );
    } catch (error) {
      // Someone created (or deleted) the user between our read and our append.
      if (error instanceof WrongExpectedVersionError) throw new HubError(409, `User ${name} already exists`);
      throw error;
    }
    const user = (await this.store.user(name))!;
    return userModel(user, new Map(), new Map(), p.scopes);
  }

  async delete(req: IncomingMessage, rawName: string): Promise<void> {
    const name = pathUserName(rawName);
    const p = await this.auth.require(req, ['delete:users'], { user: name });
    await this.servers.existingUser(name);
    const by = p.user ?? 'admin-token';
    // Servers first, as JupyterHub does: a deleted user must not leave jobs behind.
    for (const [serverName, state] of await this.store.servers(name)) {
      if (isActive(state)) await this.stopper.stop(name, serverName, by, 'user deleted');
    }
    const stream = await this.store.userStream(name);
    try {
      await appendToStream(this.store.pool, userStreamId(name), [newEvent('UserDeleted', { name, by })], {
        expectedVersion: stream.version === 0 ? 'no_stream' : stream.version,
        metadata: { actor: by },
      });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError)
        throw new HubError(409, `User ${name} changed meanwhile; try again`);
      throw error;
    }
  }
}
