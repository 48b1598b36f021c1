import { serverPrefix } from '@condorhub/contracts';
import { type ServerState, isActive, isPending } from '@condorhub/server-lifecycle';
import { scopeAllows } from '../../auth/scopes';
import type { HubUser } from '../../store/hub-store';

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

export function serverLogName(user: string, serverName: string): string {
  return serverName ? `${user}:${serverName}` : user;
}

export function progressUrl(user: string, serverName: string): string {
  const u = encodeURIComponent(user);
  return serverName
    ? `/hub/api/users/${u}/servers/${encodeURIComponent(serverName)}/progress`
    : `/hub/api/users/${u}/server/progress`;
}

/** JupyterHub's `pending`: 'spawn' while starting, 'stop' while stopping, else null. */
export function pendingOf(state: ServerState): 'spawn' | 'stop' | null {
  if (isPending(state)) return 'spawn';
  if (state.phase === 'stopping') return 'stop';
  return null;
}

/** JupyterHub's server model, with condorhub's own details under `condorhub`. */
export function serverModel(
  user: string,
  serverName: string,
  state: ServerState,
  lastActivity: Date | null,
  withState: boolean,
) {
  const activity = [lastActivity, state.readyAt, state.requestedAt].filter(Boolean).map((d) => new Date(d!).getTime());
  return {
    name: serverName,
    ready: state.phase === 'ready',
    pending: pendingOf(state),
    stopped: !isActive(state),
    url: serverPrefix(user, serverName),
    progress_url: progressUrl(user, serverName),
    started: iso(state.requestedAt),
    last_activity: activity.length ? new Date(Math.max(...activity)).toISOString() : null,
    user_options: state.options ?? {},
    ...(withState
      ? {
          state: {
            spawn_id: state.spawnId ?? null,
            job_id: state.jobId ?? null,
            host: state.host ?? null,
            port: state.port ?? null,
          },
        }
      : {}),
    condorhub: {
      phase: state.phase,
      spawnId: state.spawnId ?? null,
      jobId: state.jobId ?? null,
      host: state.host ?? null,
      slot: state.slot ?? null,
      heldReason: state.heldReason ?? null,
      failure: state.failure ?? null,
    },
  };
}

/** What a user model shows beyond the user's own record. */
export interface UserModelExtras {
  /** Names of the groups the user belongs to. */
  groups?: string[];
  /** `?include_stopped_servers`: stopped servers too (each has a stream, so it existed). */
  includeStopped?: boolean;
}

/**
 * JupyterHub's user model, reduced to what the caller's scopes may read: the name always,
 * account fields with read:users, servers with read:servers (state with admin:server_state).
 * `servers` lists active servers only, as JupyterHub does, unless stopped ones are asked for.
 */
export function userModel(
  user: HubUser,
  servers: Map<string, ServerState>,
  serverActivity: Map<string, Date>,
  scopes: string[],
  extras: UserModelExtras = {},
) {
  const target = { user: user.name };
  const model: Record<string, unknown> = { kind: 'user', name: user.name };
  if (scopeAllows(scopes, 'read:users', target)) {
    Object.assign(model, {
      admin: user.admin,
      roles: user.admin ? ['admin', 'user'] : ['user'],
      groups: extras.groups ?? [],
      created: iso(user.createdAt),
      last_activity: iso(user.lastActivity),
    });
  }
  if (scopeAllows(scopes, 'read:servers', target)) {
    const withState = scopeAllows(scopes, 'admin:server_state', target);
    const active: Record<string, unknown> = {};
    for (const [name, state] of [...servers].sort(([a], [b]) => a.localeCompare(b))) {
      if (isActive(state) || (extras.includeStopped && state.streamVersion > 0))
        active[name] = serverModel(user.name, name, state, serverActivity.get(name) ?? null, withState);
    }
    const def = servers.get('');
    model.server = def && def.phase === 'ready' ? serverPrefix(user.name, '') : null;
    model.pending = def ? pendingOf(def) : null;
    model.servers = active;
  }
  return model;
}
