import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type GroupCommand, decideGroup } from './decide-group';
import type { GroupState } from './group-state';

const group = (exists: boolean, users: string[] = []): GroupState => ({ name: 'chem', version: 1, exists, users });
const by = 'root';

describe('group decisions', () => {
  const table: [string, GroupState, GroupCommand, unknown][] = [
    [
      'create: a new group, members once each',
      group(false),
      { kind: 'create', users: ['a', 'b', 'a'], by },
      [{ type: 'GroupCreated', data: { name: 'chem', users: ['a', 'b'], by } }],
    ],
    ['create: an existing group', group(true), { kind: 'create', users: [], by }, 'exists'],
    [
      'delete: an existing group',
      group(true, ['a']),
      { kind: 'delete', by },
      [{ type: 'GroupDeleted', data: { name: 'chem', by } }],
    ],
    ['delete: no such group', group(false), { kind: 'delete', by }, 'missing'],
    [
      'add: only those not in yet',
      group(true, ['a']),
      { kind: 'add-members', users: ['a', 'b'], by },
      [{ type: 'GroupMembersAdded', data: { name: 'chem', users: ['b'], by } }],
    ],
    ['add: all in already', group(true, ['a']), { kind: 'add-members', users: ['a'], by }, []],
    ['add: no such group', group(false), { kind: 'add-members', users: ['a'], by }, 'missing'],
    [
      'remove: only members',
      group(true, ['a', 'b']),
      { kind: 'remove-members', users: ['b', 'c'], by },
      [{ type: 'GroupMembersRemoved', data: { name: 'chem', users: ['b'], by } }],
    ],
    ['remove: none of them members', group(true, ['a']), { kind: 'remove-members', users: ['c'], by }, []],
    ['remove: no such group', group(false), { kind: 'remove-members', users: ['a'], by }, 'missing'],
  ];
  for (const [name, state, cmd, expected] of table) {
    it(name, () => {
      const d = decideGroup(state, cmd);
      assert.deepEqual(d.ok ? d.events : d.code, expected);
    });
  }
});
