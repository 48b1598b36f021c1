import type { Pool } from 'pg';
import { type EventEnvelope, groupStreamId } from '@condorhub/contracts';
import { readStream, readStreamsByPrefix } from '@condorhub/event-store';

/** A group as its stream says: members in the order they joined. */
export interface GroupState {
  name: string;
  /** Stream version: the expected version of the next append. */
  version: number;
  exists: boolean;
  users: string[];
}

/**
 * Folds a `group-<name>` stream. Replaying it always gives the same group, and a membership
 * event that is already true (a second add, removing a non-member) changes nothing.
 */
export function foldGroup(name: string, events: EventEnvelope[]): GroupState {
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

export async function readGroup(pool: Pool, name: string): Promise<GroupState> {
  return foldGroup(name, await readStream(pool, groupStreamId(name)));
}

/** Every existing group, by name: one query over all group streams (sites have few groups). */
export async function readAllGroups(pool: Pool): Promise<GroupState[]> {
  const streams = await readStreamsByPrefix(pool, 'group', groupStreamId(''));
  const prefix = groupStreamId('').length;
  return [...streams]
    .map(([streamId, events]) => foldGroup(streamId.slice(prefix), events))
    .filter((g) => g.exists)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The groups each user belongs to, by user name. */
export function groupsByUser(groups: GroupState[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const g of groups) for (const u of g.users) out.set(u, [...(out.get(u) ?? []), g.name]);
  return out;
}
