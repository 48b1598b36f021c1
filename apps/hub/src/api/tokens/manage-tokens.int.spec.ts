import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { issueToken, serverTokenScopes } from '@condorhub/tokens';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };

before(async () => {
  await h.start('hub_tokens');
  for (const name of ['alice', 'bob']) await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
});
after(() => h.stop());

describe('GET and DELETE /users/<name>/tokens', () => {
  it("lists a user's live API tokens without their secrets; servers' own tokens are not listed", async () => {
    const made = (
      await request(h.server)
        .post('/hub/api/users/alice/tokens')
        .set(admin)
        .send({ note: 'script', expires_in: 3600 })
        .expect(201)
    ).body;
    await issueToken(h.t.pool, {
      owner: 'alice',
      kind: 'server',
      serverName: '',
      scopes: serverTokenScopes('alice', ''),
    });
    const list = (await request(h.server).get('/hub/api/users/alice/tokens').set(admin).expect(200)).body;
    assert.deepEqual(Object.keys(list), ['api_tokens']);
    assert.equal(list.api_tokens.length, 1);
    const t = list.api_tokens[0];
    assert.equal(t.id, made.id);
    assert.equal(t.kind, 'api_token');
    assert.equal(t.user, 'alice');
    assert.equal(t.note, 'script');
    assert.equal(t.expires_at, made.expires_at);
    assert.ok(!('token' in t));
    assert.deepEqual(t.scopes, made.scopes);
    const one = (await request(h.server).get(`/hub/api/users/alice/tokens/${made.id}`).set(admin).expect(200)).body;
    assert.deepEqual(one, t);
  });

  it('the owner reads and revokes their own token; a revoked token no longer authenticates', async () => {
    const token = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body;
    const me = { Authorization: `token ${token.token}` };
    const mine = (await request(h.server).get('/hub/api/users/alice/tokens').set(me).expect(200)).body;
    assert.ok(mine.api_tokens.some((t: any) => t.id === token.id));
    // Last use is recorded: the list above was made with it.
    const seen = (await request(h.server).get(`/hub/api/users/alice/tokens/${token.id}`).set(admin).expect(200)).body;
    assert.ok(seen.last_activity);
    await request(h.server).delete(`/hub/api/users/alice/tokens/${token.id}`).set(me).expect(204);
    await request(h.server).get('/hub/api/user').set(me).expect(401);
    await request(h.server).get(`/hub/api/users/alice/tokens/${token.id}`).set(admin).expect(404);
    await request(h.server).delete(`/hub/api/users/alice/tokens/${token.id}`).set(admin).expect(404);
  });

  it("another user may neither list nor revoke alice's tokens; bad or foreign ids are 404", async () => {
    const alice = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body;
    const bob = (await request(h.server).post('/hub/api/users/bob/tokens').set(admin).expect(201)).body;
    const asBob = { Authorization: `token ${bob.token}` };
    await request(h.server).get('/hub/api/users/alice/tokens').set(asBob).expect(403);
    await request(h.server).delete(`/hub/api/users/alice/tokens/${alice.id}`).set(asBob).expect(403);
    // bob's token id under alice's name is not alice's token.
    await request(h.server).get(`/hub/api/users/alice/tokens/${bob.id}`).set(admin).expect(404);
    await request(h.server).delete(`/hub/api/users/alice/tokens/${bob.id}`).set(admin).expect(404);
    await request(h.server).get('/hub/api/users/alice/tokens/x1').set(admin).expect(404);
    await request(h.server).get('/hub/api/users/alice/tokens/a99999999999999999999').set(admin).expect(404);
    await request(h.server).get('/hub/api/user').set(asBob).expect(200);
    await request(h.server).get('/hub/api/users/nobody/tokens').set(admin).expect(404);
  });
});
