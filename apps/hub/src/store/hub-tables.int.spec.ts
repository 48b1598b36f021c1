import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { hubMigrations } from '../migrations';
import { insertOAuthCode, linkOAuthCodeToken, oauthCodeToken, pruneOAuthCodes, useOAuthCode } from './oauth-codes';
import { bindOidcIdentity, oidcIdentitiesOf } from './oidc-identities';

// The hub's own tables behind their named functions, on real PostgreSQL.
describe('hub tables: OAuth codes and OIDC identities', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('hub_tables', hubMigrations)));
  after(async () => t.drop());

  const code = (over: Partial<Parameters<typeof insertOAuthCode>[2]> = {}) => ({
    clientId: 'jupyterhub-user-ann',
    userName: 'ann',
    owner: 'ann',
    serverName: '',
    spawnId: randomUUID(),
    redirectUri: 'http://hub/user/ann/oauth_callback',
    codeChallenge: null,
    codeChallengeMethod: null,
    ...over,
  });

  it('uses a code once, tells an expired one, and remembers the token it was exchanged for', async () => {
    const c = code({ codeChallenge: 'abc', codeChallengeMethod: 'S256' });
    await insertOAuthCode(t.pool, 'h1', c, 60);
    assert.equal(await oauthCodeToken(t.pool, 'h1'), null);
    assert.deepEqual(await useOAuthCode(t.pool, 'h1'), { ...c, expired: false });
    assert.equal(await useOAuthCode(t.pool, 'h1'), undefined, 'a second use finds nothing');
    await linkOAuthCodeToken(t.pool, 'h1', '42');
    assert.equal(await oauthCodeToken(t.pool, 'h1'), '42');
    assert.equal(await oauthCodeToken(t.pool, 'unknown'), undefined);

    await insertOAuthCode(t.pool, 'h2', code(), 0);
    assert.equal((await useOAuthCode(t.pool, 'h2'))?.expired, true);
  });

  it('prunes only codes that expired more than a day ago', async () => {
    await insertOAuthCode(t.pool, 'old', code(), 60);
    await t.pool.query(`UPDATE oauth_codes SET expires_at = now() - interval '2 days' WHERE code_hash = 'old'`);
    await insertOAuthCode(t.pool, 'fresh', code(), 60);
    assert.ok((await pruneOAuthCodes(t.pool)) >= 1);
    assert.equal(await oauthCodeToken(t.pool, 'old'), undefined);
    assert.equal(await oauthCodeToken(t.pool, 'fresh'), null);
  });

  it('binds a name to the first account only, and shows both sides of a clash', async () => {
    const ann = { userName: 'ann', issuer: 'https://idp', subject: 's-ann' };
    await bindOidcIdentity(t.pool, ann);
    assert.deepEqual(await oidcIdentitiesOf(t.pool, ann), [ann]);
    // Another account claiming the name, and the same account under a new name: no new binding.
    const thief = { userName: 'ann', issuer: 'https://idp', subject: 's-other' };
    await bindOidcIdentity(t.pool, thief);
    assert.deepEqual(await oidcIdentitiesOf(t.pool, thief), [ann]);
    const renamed = { userName: 'anna', issuer: 'https://idp', subject: 's-ann' };
    await bindOidcIdentity(t.pool, renamed);
    assert.deepEqual(await oidcIdentitiesOf(t.pool, renamed), [ann]);
  });
});
