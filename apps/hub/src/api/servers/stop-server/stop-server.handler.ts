import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { isActive } from '@condorhub/server-lifecycle';
import { AuthService } from '../../../auth/auth.service';
import { SpawnerClient } from '../../../events/spawner-client';
import { HUB_OPTIONS, type HubOptions } from '../../../hub-options';
import { HubError, badRequest } from '../../../http/hub-error';
import { ServerAccess, pathServerName, pathUserName } from '../server-access';

/**
 * DELETE /users/<name>/server and /servers/<name>: 204 gone, 202 stopping. As in JupyterHub
 * 5.1+, a pending spawn can be stopped; the stop never waits for HTCondor to agree.
 */
@Injectable()
export class StopServerHandler {
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
  ): Promise<202 | 204> {
    const userName = pathUserName(rawUser);
    const serverName = pathServerName(rawServer);
    const principal = await this.auth.require(req, ['delete:servers'], { user: userName, server: serverName });
    if (body && typeof body === 'object' && (body as any).remove === true) {
      // As JupyterHub: the default server cannot be removed. A named server's entry is its
      // stream, whose history stays: removing it stops it, and a stopped server is not listed
      // (unless stopped ones are asked for); its name may be started again.
      if (!serverName) throw badRequest('Cannot delete the default server');
    }
    await this.servers.existingUser(userName);
    return this.stop(userName, serverName, principal.user ?? 'admin-token', 'user');
  }

  /** Also used when a user is deleted. */
  async stop(userName: string, serverName: string, by: string, reason: string): Promise<202 | 204> {
    const state = await this.servers.existingServer(userName, serverName);
    if (!isActive(state)) return 204;
    // A stopping server is asked again too: the spawner then drives a stuck removal again.
    const reply = await this.spawner.stop({ user: userName, serverName, by, reason });
    if (!reply.accepted) {
      if (reply.code === 'not-running') return 204;
      if (reply.code === 'unavailable') throw new HubError(503, `The spawner is not available: ${reply.reason}`);
      if (reply.code === 'invalid') throw badRequest(reply.reason);
      throw new HubError(500, `Stop request failed: ${reply.reason}`);
    }
    const after = await this.servers.waitFor(userName, serverName, (s) => !isActive(s), this.options.slowStopMs);
    return isActive(after) ? 202 : 204;
  }
}
