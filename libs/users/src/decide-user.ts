import { type NewEvent, newEvent } from '@condorhub/contracts';
import { type UserState, userExists } from './user-state';

/** `knownFromSpawns`: the read model knows the user from a spawn (see userExists). */
export type UserCommand =
  | { kind: 'create'; name: string; admin: boolean; by: string; knownFromSpawns: boolean }
  | { kind: 'set-admin'; name: string; admin: boolean; by: string; knownFromSpawns: boolean }
  | { kind: 'delete'; name: string; by: string; knownFromSpawns: boolean };

/** Events to record (none: nothing to change), or why the command does not apply. */
export type UserDecision = { ok: true; events: NewEvent[] } | { ok: false; code: 'exists' | 'missing' };

/**
 * Creating a user who exists is refused, as changing or deleting one who does not. Setting the
 * admin flag it already has records nothing; a user known only from a spawn gets their record
 * (UserCreated) with the flag, since their stream starts there.
 */
export function decideUser(state: UserState, cmd: UserCommand): UserDecision {
  const exists = userExists(state, cmd.knownFromSpawns);
  switch (cmd.kind) {
    case 'create':
      if (exists) return { ok: false, code: 'exists' };
      return { ok: true, events: [newEvent('UserCreated', { name: cmd.name, admin: cmd.admin, by: cmd.by })] };
    case 'set-admin':
      if (!exists) return { ok: false, code: 'missing' };
      if (!state.exists) {
        return { ok: true, events: [newEvent('UserCreated', { name: cmd.name, admin: cmd.admin, by: cmd.by })] };
      }
      if (state.admin === cmd.admin) return { ok: true, events: [] };
      return { ok: true, events: [newEvent('UserAdminChanged', { name: cmd.name, admin: cmd.admin, by: cmd.by })] };
    case 'delete':
      if (!exists) return { ok: false, code: 'missing' };
      return { ok: true, events: [newEvent('UserDeleted', { name: cmd.name, by: cmd.by })] };
  }
}
