import type { EventEnvelope } from '@condorhub/contracts';

/** A group as its stream says: members in the order they joined. */
export interface GroupState {
  name: string;
  /** Stream version: 0 while the stream has no events. */
  version: number;
  exists: boolean;
  users: string[];
}

/**
 * Folds a `group-<name>` stream. Replaying it always gives the same group, and a membership
 * event that is already true (a second add, removing a non-member) changes nothing.
 */
export function foldGroup(name: string, events: readonly EventEnvelope[]): GroupState {
  const state: GroupState = { name, version: 0, exists: false, users: [] };
  for (const e of events) {
    state.version = e.streamVersion;
    const d = e.data as { users?: string[] };
    switch (e.type) {
      case 'GroupCreated':
        state.exists = true;
        state.users = [...new Set(d.users ?? [])];
        break;
      case 'GroupMembersAdded':
        if (state.exists) state.users = [...new Set([...state.users, ...(d.users ?? [])])];
        break;
      case 'GroupMembersRemoved':
        if (state.exists) state.users = state.users.filter((u) => !d.users?.includes(u));
        break;
      case 'GroupDeleted':
        state.exists = false;
        state.users = [];
        break;
    }
  }
  return state;
}
