import type { EventEnvelope } from '@condorhub/contracts';

/** A user's own record as their `user-<name>` stream says: created, deleted, or never seen there. */
export interface UserState {
  /** Stream version: 0 while the stream has no events. */
  version: number;
  exists: boolean;
  admin: boolean;
  createdAt?: Date;
}

export function initialUserState(): UserState {
  return { version: 0, exists: false, admin: false };
}

export function evolveUser(state: UserState, e: EventEnvelope): UserState {
  const next = { ...state, version: e.streamVersion };
  const d = e.data as { admin?: boolean };
  if (e.type === 'UserCreated')
    return { ...next, exists: true, admin: d.admin === true, createdAt: new Date(e.recordedAt) };
  if (e.type === 'UserAdminChanged' && state.exists) return { ...next, admin: d.admin === true };
  if (e.type === 'UserDeleted') return { version: e.streamVersion, exists: false, admin: false };
  return next;
}

export function foldUser(events: readonly EventEnvelope[], from: UserState = initialUserState()): UserState {
  return events.reduce(evolveUser, from);
}

/**
 * Whether the user exists. Their stream decides once it has events; a user who only ever
 * spawned (known to the read model from SpawnRequested, `knownFromSpawns`) has no stream yet
 * and exists too.
 */
export function userExists(state: UserState, knownFromSpawns: boolean): boolean {
  return state.exists || (state.version === 0 && knownFromSpawns);
}
