import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { AuthService } from '../../auth/auth.service';
import { SpawnerClient } from '../../events/spawner-client';
import { HubError } from '../../http/hub-error';
import { ServerAccess, pathServerName, pathUserName } from '../servers/server-access';

/** The phases in which the job sits in HTCondor's queue waiting for a slot. */
const WAITING = new Set(['submitted', 'queued']);

/**
 * GET /hub/api/condorhub/users/<name>/server[s/<server>]/queue: why the server's job is still
 * idle. The hub runs no condor tools; the spawner asks condor_q/condor_status and explains.
 */
@Injectable()
export class QueueHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
    @Inject(SpawnerClient) private readonly spawner: SpawnerClient,
  ) {}

  async handle(req: IncomingMessage, rawUser: string, rawServer: string | undefined) {
    const user = pathUserName(rawUser);
    const serverName = pathServerName(rawServer);
    await this.auth.require(req, ['read:servers'], { user, server: serverName });
    await this.servers.existingUser(user);
    const state = await this.servers.existingServer(user, serverName);
    const base = { user, server: serverName, spawnId: state.spawnId ?? null, phase: state.phase };
    if (!state.jobId || !WAITING.has(state.phase)) return { ...base, jobId: state.jobId ?? null, queued: false };
    const reply = await this.spawner.queueInfo(state.jobId);
    if (!reply.accepted) {
      throw new HubError(reply.code === 'unavailable' || reply.code === 'condor-unavailable' ? 503 : 500, reply.reason);
    }
    return { ...base, queued: true, ...reply.result };
  }
}
