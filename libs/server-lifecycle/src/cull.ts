import { newEvent } from '@condorhub/contracts';
import type { Decision } from './decide';
import type { ServerState } from './server-state';

/** The culler's limits, in seconds; 0 turns a limit off. */
export interface CullLimits {
  idleS: number;
  maxAgeS: number;
}

/** A duration as a person reads it in a stop reason: seconds, minutes or hours. */
export function humanDuration(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1).replace(/\.0$/, '')} h`;
}

/**
 * Whether the culler stops this server now. Only a ready server is culled: a pending one has
 * its phase deadlines, and a stopping one is already on its way (so a second scan never culls
 * it twice). Its age counts from SpawnRequested (as JupyterHub's `started`); its idle time from
 * the later of its last recorded activity and ServerReady (a fresh server has had no chance to
 * be used yet). The maximum age wins over idleness: it is the firmer limit.
 */
export function decideCull(
  state: ServerState,
  now: Date,
  limits: CullLimits,
  lastActivity: Date | null | undefined,
): Decision {
  if (state.phase !== 'ready' || !state.spawnId) {
    return { ok: false, code: 'not-ready', reason: `server is ${state.phase}, not ready` };
  }
  const since = (iso: string | undefined) => (iso ? (now.getTime() - Date.parse(iso)) / 1000 : 0);
  const ageS = Math.max(0, Math.floor(since(state.requestedAt ?? state.readyAt)));
  const base = Math.max(Date.parse(state.readyAt ?? state.requestedAt ?? ''), lastActivity?.getTime() ?? 0);
  const idleS = Math.max(0, Math.floor(Number.isFinite(base) ? (now.getTime() - base) / 1000 : 0));
  const cull = (culled: { reason: 'idle' | 'max-age'; idleS?: number; ageS?: number }, why: string): Decision => ({
    ok: true,
    events: [
      newEvent('ServerCulled', { spawnId: state.spawnId!, ...culled }),
      newEvent('StopRequested', { spawnId: state.spawnId!, by: 'culler', reason: why }),
    ],
  });
  if (limits.maxAgeS > 0 && ageS >= limits.maxAgeS) {
    return cull(
      { reason: 'max-age', ageS },
      `running ${humanDuration(ageS)}, past the maximum age of ${humanDuration(limits.maxAgeS)}`,
    );
  }
  if (limits.idleS > 0 && idleS >= limits.idleS) {
    return cull({ reason: 'idle', idleS }, `idle for ${humanDuration(idleS)}`);
  }
  return { ok: false, code: 'active', reason: `idle ${idleS} s, up ${ageS} s: within the limits` };
}

/** What the user culler knows of a user. */
export interface UserForCull {
  admin: boolean;
  activeServers: number;
  createdAt: Date;
  lastActivity: Date | null;
}

/**
 * Whether the culler deletes this user now: never an admin, never a user with a server that is
 * not stopped, and only after idleS without activity (counted from creation for a user who
 * was never active).
 */
export function decideCullUser(
  user: UserForCull,
  now: Date,
  idleS: number,
): { cull: true; idleS: number } | { cull: false; why: 'off' | 'admin' | 'active-server' | 'recent' } {
  if (!(idleS > 0)) return { cull: false, why: 'off' };
  if (user.admin) return { cull: false, why: 'admin' };
  if (user.activeServers > 0) return { cull: false, why: 'active-server' };
  const since = Math.max(user.createdAt.getTime(), user.lastActivity?.getTime() ?? 0);
  const idle = Math.floor((now.getTime() - since) / 1000);
  return idle >= idleS ? { cull: true, idleS: idle } : { cull: false, why: 'recent' };
}
