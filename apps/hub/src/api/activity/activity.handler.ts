import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { AuthService } from '../../auth/auth.service';
import { badRequest } from '../../http/hub-error';
import { HubStore } from '../../store/hub-store';
import { ServerAccess, pathUserName } from '../servers/server-access';

/** JupyterHub accepts activity up to this far ahead (clock skew), not further. */
export const MAX_FUTURE_MS = 59 * 60_000;
const ISO = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** An ISO 8601 timestamp as jupyterhub-singleuser sends it; naive times are UTC, as in JupyterHub. */
export function parseActivityTimestamp(value: unknown, now = Date.now()): Date {
  if (typeof value !== 'string' || !ISO.test(value.trim()))
    throw badRequest(`Invalid timestamp: ${JSON.stringify(value)}`);
  let text = value.trim().replace(' ', 'T');
  if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(text)) text += 'Z';
  // JavaScript dates hold milliseconds: Python's microseconds are cut, not rejected.
  text = text.replace(/(\.\d{3})\d+/, '$1');
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw badRequest(`Invalid timestamp: ${JSON.stringify(value)}`);
  if (ms > now + MAX_FUTURE_MS) throw badRequest(`Rejecting activity from more than an hour in the future: ${value}`);
  return new Date(ms);
}

/** POST /users/<name>/activity: JupyterHub's body rules; stored in the hub's own table. */
@Injectable()
export class ActivityHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(HubStore) private readonly store: HubStore,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
  ) {}

  async handle(req: IncomingMessage, rawName: string, body: unknown): Promise<void> {
    const name = pathUserName(rawName);
    await this.auth.require(req, ['users:activity'], { user: name });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a json dict');
    const { last_activity: lastActivity, servers } = body as Record<string, unknown>;
    if (!lastActivity && !servers) {
      throw badRequest('body must contain at least one of `last_activity` or `servers`');
    }
    const shape = 'servers must be a dict of the form {server_name: {last_activity: timestamp}}';
    if (servers !== undefined && servers !== null && (typeof servers !== 'object' || Array.isArray(servers))) {
      throw badRequest(shape);
    }
    await this.servers.existingUser(name);
    // Everything is checked before anything is stored: a bad entry changes nothing.
    const userAt = lastActivity ? parseActivityTimestamp(lastActivity) : undefined;
    const serverAt = new Map<string, Date>();
    for (const [serverName, info] of Object.entries((servers ?? {}) as Record<string, unknown>)) {
      if (typeof info !== 'object' || info === null || !('last_activity' in info)) throw badRequest(shape);
      if (serverName !== '' && !(await this.store.serverExists(name, serverName))) {
        throw badRequest(`No such server '${serverName}' for user ${name}`);
      }
      // A server token may only speak for its own server.
      await this.auth.require(req, ['users:activity'], { user: name, server: serverName });
      serverAt.set(serverName, parseActivityTimestamp((info as Record<string, unknown>).last_activity));
    }
    await this.store.recordActivity(
      userAt ? [[name, userAt]] : [],
      [...serverAt].map(([server, at]) => [name, server, at]),
    );
  }
}
