import type { IncomingMessage } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { SpawnId } from '@condorhub/contracts';
import { stageMessage } from '@condorhub/server-lifecycle';
import { AuthService } from '../../auth/auth.service';
import { HubError, badRequest } from '../../http/hub-error';
import { ServerAccess, pathServerName, pathUserName } from '../servers/server-access';

/**
 * GET /hub/api/condorhub/users/<name>/server[s/<server>]/timeline[?spawn=<id>]: every event of
 * one spawn with the time since the previous one, for the timeline picture and for operators.
 */
@Injectable()
export class TimelineHandler {
  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
  ) {}

  async handle(req: IncomingMessage, rawUser: string, rawServer: string | undefined, spawn: unknown) {
    const user = pathUserName(rawUser);
    const serverName = pathServerName(rawServer);
    await this.auth.require(req, ['read:servers'], { user, server: serverName });
    if (spawn !== undefined && (typeof spawn !== 'string' || !SpawnId.safeParse(spawn).success)) {
      throw badRequest('spawn must be a spawn id (uuid)');
    }
    await this.servers.existingUser(user);
    const state = await this.servers.existingServer(user, serverName);
    const spawnId = (spawn as string | undefined) ?? state.spawnId;
    if (!spawnId) throw new HubError(404, `${user} has no spawn of server '${serverName}'`);
    const events = await this.servers.store.spawnEvents(user, serverName, spawnId);
    if (!events.length) throw new HubError(404, `No spawn ${spawnId} of ${user}'s server '${serverName}'`);
    const requestedAt = events[0].recordedAt;
    let previous = Date.parse(requestedAt);
    return {
      user,
      server: serverName,
      spawnId,
      current: spawnId === state.spawnId,
      phase: spawnId === state.spawnId ? state.phase : null,
      startedAt: requestedAt,
      totalMs: Date.parse(events[events.length - 1].recordedAt) - Date.parse(requestedAt),
      events: events.map((e) => {
        const at = Date.parse(e.recordedAt);
        const item = {
          type: e.type,
          at: e.recordedAt,
          // The server's stream, or the spawn's removal stream (a stray job removed).
          stream: e.streamId,
          version: e.streamVersion,
          message: stageMessage(e, requestedAt) ?? e.type,
          sincePreviousMs: at - previous,
          sinceStartMs: at - Date.parse(requestedAt),
          data: e.data,
        };
        previous = at;
        return item;
      }),
    };
  }
}
