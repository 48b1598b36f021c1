import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { serverTokenScopes } from '@condorhub/tokens';
import { ownerScopes } from './token.authenticator';
import { ADMIN_SCOPES, anyScopeAllows, expandScopes, parseScope, scopeAllows } from './scopes';
import { extractToken } from './token-extraction';

describe('scopes', () => {
  it('parses filters', () => {
    assert.deepEqual(parseScope('servers'), { base: 'servers' });
    assert.deepEqual(parseScope('servers!user=alice'), { base: 'servers', filter: { kind: 'user', user: 'alice' } });
    assert.deepEqual(parseScope('access:servers!server=alice/gpu'), {
      base: 'access:servers',
      filter: { kind: 'server', user: 'alice', server: 'gpu' },
    });
  });

  it('expands self to the user’s own scopes with their subscopes', () => {
    const s = expandScopes(['self'], 'alice');
    for (const want of [
      'servers!user=alice',
      'read:servers!user=alice',
      'delete:servers!user=alice',
      'users:activity!user=alice',
      'read:users:activity!user=alice',
      'read:users:name!user=alice',
      'access:servers!user=alice',
      'tokens!user=alice',
    ]) {
      assert.ok(s.includes(want), want);
    }
    assert.ok(!s.some((x) => x.startsWith('admin')));
    assert.deepEqual(s, [...new Set(s)].sort());
  });

  it('drops filtered copies of unfiltered scopes', () => {
    const s = expandScopes(['servers', 'servers!user=alice']);
    assert.ok(s.includes('servers'));
    assert.ok(!s.includes('servers!user=alice'));
  });

  it('admin scopes reach every user; user scopes only their own', () => {
    const admin = expandScopes(ADMIN_SCOPES);
    assert.ok(scopeAllows(admin, 'servers', { user: 'bob', server: '' }));
    assert.ok(scopeAllows(admin, 'list:users'));
    assert.ok(scopeAllows(admin, 'delete:users', { user: 'bob' }));
    const alice = expandScopes(['self'], 'alice');
    assert.ok(scopeAllows(alice, 'servers', { user: 'alice', server: 'gpu' }));
    assert.ok(!scopeAllows(alice, 'servers', { user: 'bob', server: '' }));
    assert.ok(!scopeAllows(alice, 'list:users'));
    assert.ok(anyScopeAllows(alice, ['list:users', 'read:users'], { user: 'alice' }));
  });

  it('a server filter grants that server only', () => {
    const s = expandScopes(serverTokenScopes('alice', ''));
    assert.ok(scopeAllows(s, 'access:servers', { user: 'alice', server: '' }));
    assert.ok(!scopeAllows(s, 'access:servers', { user: 'alice', server: 'gpu' }));
    assert.ok(!scopeAllows(s, 'access:servers', { user: 'alice' }));
    assert.ok(scopeAllows(s, 'users:activity', { user: 'alice', server: 'gpu' }));
    assert.ok(!scopeAllows(s, 'servers', { user: 'alice', server: '' }));
  });

  it('unknown filters grant nothing', () => {
    assert.ok(!scopeAllows(['servers!service=x'], 'servers', { user: 'alice', server: '' }));
    assert.ok(!scopeAllows(['servers!group='], 'servers', { user: 'alice', userGroups: [''] }));
  });

  it('a group filter grants on the group and on its members, only when their groups are known', () => {
    const s = expandScopes(['servers!group=staff', 'groups!group=staff']);
    assert.ok(scopeAllows(s, 'servers', { user: 'alice', server: '', userGroups: ['staff'] }));
    assert.ok(scopeAllows(s, 'read:servers', { user: 'alice', userGroups: ['x', 'staff'] }));
    assert.ok(!scopeAllows(s, 'servers', { user: 'alice', server: '', userGroups: ['other'] }));
    assert.ok(!scopeAllows(s, 'servers', { user: 'alice', server: '' }));
    assert.ok(scopeAllows(s, 'read:groups', { group: 'staff' }));
    assert.ok(!scopeAllows(s, 'read:groups', { group: 'other' }));
    assert.ok(!scopeAllows(s, 'list:groups'));
  });

  it('user tokens: inherit is the owner, explicit scopes never exceed the owner', () => {
    assert.ok(ownerScopes([], 'root', true).includes('admin:users'));
    assert.ok(!ownerScopes(['inherit'], 'alice', false).includes('admin:users'));
    assert.deepEqual(ownerScopes(['admin:users', 'read:servers!user=alice'], 'alice', false), [
      'read:servers!user=alice',
      'read:users:name!user=alice',
    ]);
  });
});

describe('token extraction', () => {
  const req = (authorization?: string, url = '/hub/api/user') => ({ headers: { authorization }, url });
  it('reads `token`, `bearer` (any case) and ?token=', () => {
    assert.equal(extractToken(req('token abc')), 'abc');
    assert.equal(extractToken(req('Bearer abc')), 'abc');
    assert.equal(extractToken(req('TOKEN abc')), 'abc');
    assert.equal(extractToken(req(undefined, '/hub/api/user?x=1&token=q%20r')), 'q r');
    assert.equal(extractToken(req('Basic abc')), undefined);
    assert.equal(extractToken(req()), undefined);
  });
});
