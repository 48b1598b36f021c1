import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { SpawnOptions } from '@condorhub/contracts';
import { type ServerState, isPending } from '@condorhub/server-lifecycle';
import { AuthService } from '../../../auth/auth.service';
import { SpawnerClient } from '../../../events/spawner-client';
import { HUB_OPTIONS, type HubOptions } from '../../../hub-options';
import { HubError, badRequest } from '../../../http/hub-error';
import { serverLogName } from '../../users/models';
import { ServerAccess, pathServerName, pathUserName } from '../server-access';

/**
 * The spawn options of a start request: JupyterHub ≤5 sends them as the body, 6.0 may wrap
 * them in `user_options`. Only what condorhub can honour is accepted.
 */
export function parseSpawnOptions(body: unknown): SpawnOptions {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  let options = body as Record<string, unknown>;
  if ('user_options' in options) {
    const { user_options, display_name: _ignored, ...rest } = options;
    if (Object.keys(rest).length)
      throw badRequest(`Unexpected fields next to user_options: ${Object.keys(rest).join(', ')}`);
    if (typeof user_options !== 'object' || user_options === null || Array.isArray(user_options)) {
      throw badRequest('user_options must be a JSON object');
    }
    options = user_options as Record<string, unknown>;
  }
  const parsed = SpawnOptions.safeParse(options);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || Object.keys(options).join(', ') || '(body)'}: ${i.message}`)
      .join('; ');
    throw badRequest(`Invalid spawn options: ${detail}`);
  }
  return parsed.data;
}

/** A start is refused or short-cut by the server's current state, in JupyterHub's words. */
function startDecision(user: string, serverName: string, state: ServerState): 202 | undefined {
  const name = serverLogName(user, serverName);
  if (isPending(state)) return 202;
  if (state.phase === 'stopping') throw badRequest(`${name} is pending stop`);
  if (state.phase === 'ready') throw badRequest(`${name} is already running`);
  return undefined;
}

/** POST /users/<name>/server and /servers/<name>: 201 ready, 202 pending. */
@Injectable()
export class StartServerHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
    @Inject(SpawnerClient) private readonly spawner: SpawnerClient,
    @Inject(HUB_OPTIONS) private readonly options: HubOptions,
  ) {}

  async handle(
    req: IncomingMessage,
    rawUser: string,
    rawServer: string | undefined,
    body: unknown,
  ): Promise<201 | 202> {
    const userName = pathUserName(rawUser);
    const serverName = pathServerName(rawServer);
    const principal = await this.auth.require(req, ['servers'], { user: userName, server: serverName });
    const options = parseSpawnOptions(body);
    await this.servers.existingUser(userName);
    const breach = await this.servers.siteLimitBreach(userName, serverName, options);
    if (breach) throw badRequest(breach.reason);

    const before = await this.servers.store.server(userName, serverName);
    const early = startDecision(userName, serverName, before);
    if (early) return early;

    const reply = await this.spawner.start({
      user: userName,
      serverName,
      options,
      by: principal.user ?? 'admin-token',
    });
    if (!reply.accepted) {
      switch (reply.code) {
        case 'already-active':
        case 'stopping': {
          // Someone else started or stopped it meanwhile: answer from what is there now.
          const now = await this.servers.store.server(userName, serverName);
          const decision = startDecision(userName, serverName, now);
          if (decision) return decision;
          throw badRequest(`${serverLogName(userName, serverName)} is pending stop`);
        }
        case 'invalid':
        case 'over-limit':
          throw badRequest(reply.reason);
        case 'unavailable':
          throw new HubError(503, `The spawner is not available: ${reply.reason}`);
        default:
          throw new HubError(500, `Spawn request failed: ${reply.reason}`);
      }
    }
    const spawnId = typeof reply.result.spawnId === 'string' ? reply.result.spawnId : undefined;
    const mine = (s: ServerState) => !spawnId || s.spawnId === spawnId;
    const state = await this.servers.waitFor(
      userName,
      serverName,
      (s) => mine(s) && !isPending(s) && s.phase !== 'none',
      this.options.slowSpawnMs,
    );
    if (mine(state) && state.phase === 'ready') return 201;
    if (mine(state) && state.failure && !isPending(state)) {
      throw new HubError(500, `Spawn failed: ${state.failure.userMessage}`);
    }
    return 202;
  }
}
