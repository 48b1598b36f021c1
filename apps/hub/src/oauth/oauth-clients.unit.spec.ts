import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ownerScopes } from '../auth/token.authenticator';
import { oauthClientId } from '@condorhub/tokens';
import { allowedRedirects, parseClientId } from './oauth-clients';

describe('OAuth clients', () => {
  it('gives user a-b and user a’s server b different client ids, each read back one way only', () => {
    assert.equal(oauthClientId('alice', ''), 'jupyterhub-user-alice'); // JupyterHub's own form
    assert.notEqual(oauthClientId('a-b', ''), oauthClientId('a', 'b'));
    assert.notEqual(oauthClientId('a', 'b-c'), oauthClientId('a-b', 'c'));
    assert.deepEqual(parseClientId(oauthClientId('a-b', '')), { user: 'a-b', serverName: '' });
    assert.deepEqual(parseClientId(oauthClientId('a', 'b')), { user: 'a', serverName: 'b' });
    assert.deepEqual(parseClientId(oauthClientId('a@x.org', 'gpu-1')), { user: 'a@x.org', serverName: 'gpu-1' });
    for (const bad of [
      'something-else',
      'jupyterhub-user-',
      'jupyterhub-user-a~',
      'jupyterhub-user-a~b~c',
      'jupyterhub-user-a%7Eb', // an encoded ~ is not a name character
      'jupyterhub-user-a@x', // not as oauthClientId writes it
      'jupyterhub-user-%E0%A4%A',
      42,
    ]) {
      assert.equal(parseClientId(bad), undefined, String(bad));
    }
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
