import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { serverStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { AuthService } from '../../auth/auth.service';
import { ServerEvents } from '../../events/server-events';
import { HUB_OPTIONS, type HubOptions } from '../../hub-options';
import { badRequest } from '../../http/hub-error';
import { serverLogName } from '../users/models';
import { ServerAccess, pathServerName, pathUserName } from '../servers/server-access';
import { ProgressTracker, SSE_KEEPALIVE, formatSseEvent } from './progress-events';

/**
 * GET …/server/progress and …/servers/<name>/progress: the current spawn's stages as
 * Server-Sent Events, replayed from the store for a late reader, then live until ready or
 * failed. The store is the source; NATS only wakes the loop, a poll covers lost wake-ups.
 */
@Injectable()
export class ProgressHandler {
  private readonly log = new Logger('hub');
  /** Open streams, so tests (and metrics later) can see none are left behind. */
  open = 0;

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(ServerAccess) private readonly servers: ServerAccess,
    @Inject(ServerEvents) private readonly events: ServerEvents,
    @Inject(HUB_OPTIONS) private readonly options: HubOptions,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, rawUser: string, rawServer: string | undefined) {
    const user = pathUserName(rawUser);
    const serverName = pathServerName(rawServer);
    await this.auth.require(req, ['read:servers'], { user, server: serverName });
    await this.servers.existingUser(user);
    const state = await this.servers.existingServer(user, serverName);
    // Nothing to follow: never started, or stopped by a user rather than by a failure.
    if (!state.spawnId || state.phase === 'none' || (state.phase === 'stopped' && !state.failure)) {
      throw badRequest(`${serverLogName(user, serverName)} is not starting...`);
    }
    const streamId = serverStreamId(user, serverName);
    const start = await this.servers.store.spawnStartVersion(user, serverName, state.spawnId);
    if (start === undefined) throw badRequest(`${serverLogName(user, serverName)} is not starting...`);

    // No Connection header: it is the connection's business (Node keeps it open unless the
    // client asked to close); forcing keep-alive overrode a client's (or proxy's) close.
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();

    const abort = new AbortController();
    const stop = () => abort.abort();
    // The response's close, not the request's: a request 'close' fires once its body is read.
    res.on('close', stop);
    const keepalive = setInterval(() => res.write(SSE_KEEPALIVE), this.options.keepaliveMs);
    const maxTimer = setTimeout(stop, this.options.progressMaxMs);
    this.open++;
    const tracker = new ProgressTracker(state.spawnId, user, serverName);
    let next = start;
    try {
      while (!abort.signal.aborted) {
        const batch = await readStream(this.servers.store.pool, streamId, next, 500);
        for (const e of batch) {
          next = e.streamVersion + 1;
          for (const out of tracker.feed(e)) res.write(formatSseEvent(out));
          if (tracker.done) break;
        }
        if (tracker.done) break;
        if (batch.length === 500) continue;
        let waitMs = this.options.progressPollMs;
        if (tracker.awaitingRetrySince !== undefined) {
          const left = tracker.awaitingRetrySince + this.options.retryGraceMs - Date.now();
          if (left <= 0) {
            for (const out of tracker.giveUp()) res.write(formatSseEvent(out));
            break;
          }
          waitMs = Math.min(waitMs, left);
        }
        await this.events.wait(streamId, waitMs, abort.signal);
      }
    } catch (error) {
      // Headers are out: a store error can only end the stream; the client will reconnect.
      this.log.warn(`progress stream of ${serverLogName(user, serverName)}: ${String(error)}`);
    } finally {
      clearInterval(keepalive);
      clearTimeout(maxTimer);
      res.off('close', stop);
      this.open--;
      res.end();
    }
  }
}
