import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ownerScopes } from '../auth/token.authenticator';
import { allowedRedirects, clientCandidates } from './oauth-clients';

describe('OAuth clients', () => {
  it('lists every reading of an ambiguous client id', () => {
    assert.deepEqual(clientCandidates('jupyterhub-user-alice'), [{ user: 'alice', serverName: '' }]);
    assert.deepEqual(clientCandidates('jupyterhub-user-a-b'), [
      { user: 'a-b', serverName: '' },
      { user: 'a', serverName: 'b' },
    ]);
    assert.deepEqual(clientCandidates('jupyterhub-user-alice-gpu'), [
      { user: 'alice-gpu', serverName: '' },
      { user: 'alice', serverName: 'gpu' },
    ]);
    assert.deepEqual(clientCandidates('something-else'), []);
    assert.deepEqual(clientCandidates('jupyterhub-user-%E0%A4%A'), []);
    assert.deepEqual(clientCandidates(42), []);
  });

  it('allows only the server’s own callback', () => {
    assert.deepEqual(allowedRedirects('alice', 'gpu', 'http://hub:8000/'), [
      '/user/alice/gpu/oauth_callback',
      'http://hub:8000/user/alice/gpu/oauth_callback',
    ]);
  });

  it('an OAuth token for one of the owner’s servers keeps its server scope', () => {
    const s = ownerScopes(['access:servers!server=alice/', 'read:users:name!user=alice'], 'alice', false);
    assert.ok(s.includes('access:servers!server=alice/'));
    // …but not for somebody else's server.
    assert.deepEqual(ownerScopes(['access:servers!server=bob/'], 'alice', false), []);
  });
});
