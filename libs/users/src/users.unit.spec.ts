import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope, NewEvent } from '@condorhub/contracts';
import { type UserCommand, decideUser } from './decide-user';
import { foldUser, initialUserState } from './user-state';

/** A stream of the given events, as stored. */
function stream(...events: NewEvent[]): EventEnvelope[] {
  return events.map(
    (e, i) =>
      ({
        ...e,
        eventId: `e${i}`,
        streamId: 'user-ann',
        streamVersion: i + 1,
        globalPosition: String(i + 1),
        recordedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
        metadata: {},
      }) as unknown as EventEnvelope,
  );
}
const created = (admin = false): NewEvent => ({ type: 'UserCreated', data: { name: 'ann', admin, by: 'root' } });
const deleted: NewEvent = { type: 'UserDeleted', data: { name: 'ann', by: 'root' } };
const madeAdmin = (admin: boolean): NewEvent => ({
  type: 'UserAdminChanged',
  data: { name: 'ann', admin, by: 'root' },
});

describe('a user stream folds to', () => {
  it('nobody before any event', () => {
    assert.deepEqual(foldUser([]), initialUserState());
  });

  it('the user with the flag last set, created when first recorded', () => {
    const s = foldUser(stream(created(), madeAdmin(true)));
    assert.deepEqual(s, { version: 2, exists: true, admin: true, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0)) });
  });

  it('nobody after a delete, and a new user after a create again', () => {
    assert.deepEqual(foldUser(stream(created(true), deleted)), { version: 2, exists: false, admin: false });
    const again = foldUser(stream(created(true), deleted, created()));
    assert.equal(again.exists, true);
    assert.equal(again.admin, false);
    assert.deepEqual(again.createdAt, new Date(Date.UTC(2026, 0, 1, 0, 2)));
  });

  it('no admin flag for a deleted user', () => {
    assert.equal(foldUser(stream(created(), deleted, madeAdmin(true))).admin, false);
  });
});

describe('user decisions', () => {
  const cmd = (kind: UserCommand['kind'], over: Partial<UserCommand> = {}) =>
    ({ kind, name: 'ann', admin: true, by: 'root', knownFromSpawns: false, ...over }) as UserCommand;
  const none = foldUser([]);
  const ann = foldUser(stream(created()));
  const gone = foldUser(stream(created(), deleted));
  const types = (d: ReturnType<typeof decideUser>) => (d.ok ? d.events.map((e) => e.type) : d.code);

  const table: [string, ReturnType<typeof foldUser>, UserCommand, string | string[]][] = [
    ['create: a new name', none, cmd('create'), ['UserCreated']],
    ['create: a name deleted before', gone, cmd('create'), ['UserCreated']],
    ['create: an existing user', ann, cmd('create'), 'exists'],
    ['create: a user known from a spawn only', none, cmd('create', { knownFromSpawns: true }), 'exists'],
    // The stream decides once it has events: a deleted user's old spawn rows do not revive them.
    ['create: deleted, though known from spawns', gone, cmd('create', { knownFromSpawns: true }), ['UserCreated']],
    ['set-admin: a change', ann, cmd('set-admin'), ['UserAdminChanged']],
    ['set-admin: the flag they have', ann, cmd('set-admin', { admin: false } as Partial<UserCommand>), []],
    ['set-admin: known from a spawn only', none, cmd('set-admin', { knownFromSpawns: true }), ['UserCreated']],
    ['set-admin: nobody', none, cmd('set-admin'), 'missing'],
    ['set-admin: deleted', gone, cmd('set-admin', { knownFromSpawns: true }), 'missing'],
    ['delete: an existing user', ann, cmd('delete'), ['UserDeleted']],
    ['delete: known from a spawn only', none, cmd('delete', { knownFromSpawns: true }), ['UserDeleted']],
    ['delete: nobody', none, cmd('delete'), 'missing'],
    ['delete: deleted already', gone, cmd('delete', { knownFromSpawns: true }), 'missing'],
  ];
  for (const [name, state, command, expected] of table) {
    it(name, () => assert.deepEqual(types(decideUser(state, command)), expected));
  }

  it('records who did it and the flag asked for', () => {
    const d = decideUser(none, cmd('create', { admin: true, by: 'config' } as Partial<UserCommand>));
    assert.deepEqual(d, {
      ok: true,
      events: [{ type: 'UserCreated', data: { name: 'ann', admin: true, by: 'config' } }],
    });
  });
});
