import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { hashToken, issueToken, revokeSpawnTokens, serverTokenScopes, tokenMigrations, verifyToken } from './index';

let t: TestDatabase;
before(async () => (t = await createTestDatabase('tokens', tokenMigrations)));
after(async () => t.drop());

it('stores only a hash, verifies, and revokes a spawn’s tokens', async () => {
  const spawnId = randomUUID();
  const token = await issueToken(t.pool, {
    owner: 'alice',
    kind: 'server',
    spawnId,
    serverName: '',
    scopes: serverTokenScopes('alice', ''),
  });
  assert.match(token, /^[0-9a-f]{64}$/);
  const { rows } = await t.pool.query('SELECT token_hash FROM api_tokens');
  assert.equal(rows[0].token_hash, hashToken(token));
  assert.ok(!JSON.stringify(rows).includes(token));
  const rec = await verifyToken(t.pool, token);
  assert.equal(rec?.owner, 'alice');
  assert.equal(rec?.spawnId, spawnId);
  assert.equal(await verifyToken(t.pool, 'wrong'), undefined);
  assert.equal(await revokeSpawnTokens(t.pool, spawnId), 1);
  assert.equal(await verifyToken(t.pool, token), undefined);
});

it('expires tokens', async () => {
  const token = await issueToken(t.pool, { owner: 'bob', kind: 'user', scopes: [], expiresInS: 1 });
  assert.ok(await verifyToken(t.pool, token));
  await new Promise((r) => setTimeout(r, 1_100));
  assert.equal(await verifyToken(t.pool, token), undefined);
});
