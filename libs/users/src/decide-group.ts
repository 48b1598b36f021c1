import { type NewEvent, newEvent } from '@condorhub/contracts';
import type { GroupState } from './group-state';

export type GroupCommand =
  | { kind: 'create'; users: string[]; by: string }
  | { kind: 'delete'; by: string }
  | { kind: 'add-members'; users: string[]; by: string }
  | { kind: 'remove-members'; users: string[]; by: string };

/** Events to record (none: nothing to change), or why the command does not apply. */
export type GroupDecision = { ok: true; events: NewEvent[] } | { ok: false; code: 'exists' | 'missing' };

/**
 * Creating a group that exists is refused, as changing or deleting one that does not. Only
 * the change of members is recorded: adding members already in, or removing ones who are
 * not, records nothing.
 */
export function decideGroup(g: GroupState, cmd: GroupCommand): GroupDecision {
  const name = g.name;
  if (cmd.kind === 'create') {
    if (g.exists) return { ok: false, code: 'exists' };
    return { ok: true, events: [newEvent('GroupCreated', { name, users: [...new Set(cmd.users)], by: cmd.by })] };
  }
  if (!g.exists) return { ok: false, code: 'missing' };
  switch (cmd.kind) {
    case 'delete':
      return { ok: true, events: [newEvent('GroupDeleted', { name, by: cmd.by })] };
    case 'add-members': {
      const users = [...new Set(cmd.users)].filter((u) => !g.users.includes(u));
      return { ok: true, events: users.length ? [newEvent('GroupMembersAdded', { name, users, by: cmd.by })] : [] };
    }
    case 'remove-members': {
      const users = [...new Set(cmd.users)].filter((u) => g.users.includes(u));
      return { ok: true, events: users.length ? [newEvent('GroupMembersRemoved', { name, users, by: cmd.by })] : [] };
    }
  }
}
