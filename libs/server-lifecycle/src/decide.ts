import { type NewEvent, type SpawnOptions, newEvent } from '@condorhub/contracts';
import { type ServerState, isActive } from './server-state';
import { type SiteLimits, checkSiteLimits } from './spawn-policy';

export type Decision = { ok: true; events: NewEvent[] } | { ok: false; code: string; reason: string };

export interface StartServer {
  spawnId: string;
  user: string;
  serverName: string;
  options: SpawnOptions;
  by: string;
  retryOf?: string;
  avoidHosts?: string[];
}

/** What the site allows, and how many of the user's other named servers are active now. */
export interface StartContext {
  limits: SiteLimits;
  otherActiveNamedServers: number;
}

/**
 * Start is refused over the site's limits (whoever sent it), and while the server is active:
 * one spawn per named server at a time.
 */
export function decideStart(state: ServerState, cmd: StartServer, site: StartContext): Decision {
  const breach = checkSiteLimits(site.limits, cmd, site.otherActiveNamedServers);
  if (breach) return { ok: false, code: breach.code, reason: breach.reason };
  if (state.phase === 'stopping') {
    return { ok: false, code: 'stopping', reason: `server is stopping; try again when it has stopped` };
  }
  if (isActive(state)) {
    return {
      ok: false,
      code: 'already-active',
      reason: `server is already ${state.phase === 'ready' ? 'running' : 'pending'}`,
    };
  }
  return {
    ok: true,
    events: [
      newEvent('SpawnRequested', {
        spawnId: cmd.spawnId,
        user: cmd.user,
        serverName: cmd.serverName,
        options: cmd.options,
        requestedBy: cmd.by,
        ...(cmd.retryOf ? { retryOf: cmd.retryOf } : {}),
        ...(cmd.avoidHosts?.length ? { avoidHosts: cmd.avoidHosts } : {}),
      }),
    ],
  };
}

/**
 * Stop never checks the job first (it may be long gone): it only records the request and the
 * removal saga does the rest. Stopping a stopping server records the request again: the saga then
 * drives the removal's steps again, in case the first attempt is stuck.
 */
export function decideStop(state: ServerState, cmd: { by: string; reason: string }): Decision {
  if (!isActive(state) || !state.spawnId) return { ok: false, code: 'not-running', reason: 'server is not running' };
  return { ok: true, events: [newEvent('StopRequested', { spawnId: state.spawnId, by: cmd.by, reason: cmd.reason })] };
}
