import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { issueToken, oauthClientId, serverTokenScopes } from '@condorhub/tokens';
import { ADMIN_TOKEN, HubHarness } from '../testing/hub-harness';
import { TestBrowser } from '../web/testing/browser';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
const CLIENT = 'jupyterhub-user-alice';
const CALLBACK = '/user/alice/oauth_callback';
let serverToken: string;
let alice: TestBrowser;

const authorizeUrl = (extra: Record<string, string> = {}) =>
  `/hub/api/oauth2/authorize?${new URLSearchParams({
    client_id: CLIENT,
    redirect_uri: CALLBACK,
    response_type: 'code',
    state: 'st-123',
    ...extra,
  })}`;

/** Authorizes in the browser and returns the code from the redirect to the callback. */
async function codeFor(b: TestBrowser, extra: Record<string, string> = {}): Promise<string> {
  const res = await b.get(authorizeUrl(extra));
  assert.equal(res.status, 302, res.text);
  const location = new URL(res.headers.location, 'http://hub');
  assert.equal(location.pathname, CALLBACK);
  assert.equal(location.searchParams.get('state'), 'st-123');
  return location.searchParams.get('code')!;
}

const exchange = (form: Record<string, string>) =>
  request(h.server)
    .post('/hub/api/oauth2/token')
    .type('form')
    .send({
      grant_type: 'authorization_code',
      client_id: CLIENT,
      client_secret: serverToken,
      redirect_uri: CALLBACK,
      ...form,
    });

before(async () => {
  await h.start('hub_oauth', { env: { CONDORHUB_COOKIE_SECRET: 'cookie-secret-for-oauth-tests-0123456789' } });
  for (const name of ['alice', 'bob']) await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
  h.startScripts.set('alice', 'happy');
  await request(h.server).post('/hub/api/users/alice/server').set(admin).expect(201);
  const spawnId = (
    (await h.streamEvents('alice')).find((e) => e.type === 'SpawnRequested')!.data as { spawnId: string }
  ).spawnId;
  // What the spawner hands the notebook as JUPYTERHUB_API_TOKEN.
  serverToken = await issueToken(h.t.pool, {
    owner: 'alice',
    kind: 'server',
    spawnId,
    serverName: '',
    scopes: serverTokenScopes('alice', ''),
  });
  alice = new TestBrowser(h.server);
  await alice.login('alice');
});
after(() => h.stop());

describe('authorize', () => {
  it('sends a browser that is not logged in to the login page, and back here after', async () => {
    const res = await new TestBrowser(h.server).get(authorizeUrl());
    assert.equal(res.status, 302);
    const next = new URL(res.headers.location, 'http://hub');
    assert.equal(next.pathname, '/hub/login');
    assert.equal(next.searchParams.get('next'), authorizeUrl());
  });

  it('refuses another user, lets an admin through', async () => {
    const bob = new TestBrowser(h.server);
    await bob.login('bob');
    const refused = await bob.get(authorizeUrl());
    assert.equal(refused.status, 403);
    assert.equal(refused.headers.location, undefined);
    assert.match(refused.text, /belongs to alice/);
    const root = new TestBrowser(h.server);
    await root.login('root');
    const code = await codeFor(root);
    const token = (await exchange({ code }).expect(200)).body.access_token;
    const me = await request(h.server).get('/hub/api/user').set('Authorization', `token ${token}`).expect(200);
    assert.equal(me.body.name, 'root');
    assert.ok(me.body.scopes.includes('access:servers!server=alice/'));
  });

  it('never redirects to a redirect_uri that is not the server’s callback', async () => {
    for (const redirect_uri of ['https://evil.example/user/alice/oauth_callback', '/user/bob/oauth_callback', '']) {
      const res = await alice.get(authorizeUrl({ redirect_uri }));
      assert.equal(res.status, 400, redirect_uri);
      assert.equal(res.headers.location, undefined);
    }
  });

  it('refuses unknown clients and a response_type other than code', async () => {
    assert.equal((await alice.get(authorizeUrl({ client_id: 'jupyterhub-user-nobody' }))).status, 400);
    assert.equal((await alice.get(authorizeUrl({ client_id: 'jupyterhub-user-bob' }))).status, 400);
    assert.equal((await alice.get(authorizeUrl({ response_type: 'token' }))).status, 400);
  });
});

describe('token', () => {
  it('trades a code for a bearer token whose /hub/api/user scopes the notebook accepts', async () => {
    const code = await codeFor(alice);
    const res = await exchange({ code }).expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body.token_type, 'Bearer');
    assert.ok(res.body.expires_in > 0);
    assert.match(res.body.scope, /access:servers!server=alice\//);
    const me = await request(h.server)
      .get('/hub/api/user')
      .set('Authorization', `token ${res.body.access_token}`)
      .expect(200);
    assert.equal(me.body.name, 'alice');
    assert.equal(me.body.kind, 'user');
    assert.ok(me.body.scopes.includes('access:servers!server=alice/'));
    assert.ok(!me.body.scopes.some((s: string) => s.startsWith('servers')), 'an OAuth token cannot start or stop');
  });

  it('refuses a wrong client secret (and the code stays usable by the real client)', async () => {
    const code = await codeFor(alice);
    const bobsToken = (await request(h.server).post('/hub/api/users/bob/tokens').set(admin).expect(201)).body.token;
    const aliceUserToken = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body
      .token;
    for (const client_secret of ['nope', bobsToken, aliceUserToken, ADMIN_TOKEN]) {
      const res = await exchange({ code, client_secret }).expect(401);
      assert.equal(res.body.error, 'invalid_client');
    }
    await exchange({ code, client_id: 'jupyterhub-user-bob' }).expect(401);
    await exchange({ code }).expect(200);
  });

  it('refuses a reused code, and revokes the token it gave', async () => {
    const code = await codeFor(alice);
    const first = (await exchange({ code }).expect(200)).body.access_token;
    await request(h.server).get('/hub/api/user').set('Authorization', `token ${first}`).expect(200);
    const again = await exchange({ code }).expect(400);
    assert.equal(again.body.error, 'invalid_grant');
    await request(h.server).get('/hub/api/user').set('Authorization', `token ${first}`).expect(401);
  });

  it('refuses a redirect_uri that does not match the authorization', async () => {
    const code = await codeFor(alice);
    const res = await exchange({ code, redirect_uri: 'http://127.0.0.1:8000/user/alice/other' }).expect(400);
    assert.equal(res.body.error, 'invalid_grant');
    // The code is spent: a second try with the right URI fails too.
    await exchange({ code }).expect(400);
  });

  it('refuses an expired code, an unknown code, a missing code and another grant type', async () => {
    const code = await codeFor(alice);
    await h.t.pool.query(`UPDATE oauth_codes SET expires_at = now() - interval '1 second'`);
    assert.equal((await exchange({ code }).expect(400)).body.error, 'invalid_grant');
    assert.equal((await exchange({ code: 'made-up' }).expect(400)).body.error, 'invalid_grant');
    assert.equal((await exchange({}).expect(400)).body.error, 'invalid_request');
    assert.equal((await exchange({ grant_type: 'password' }).expect(400)).body.error, 'unsupported_grant_type');
  });

  it('honours PKCE (S256) when the challenge was sent', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const pkce = { code_challenge: challenge, code_challenge_method: 'S256' };
    assert.equal((await exchange({ code: await codeFor(alice, pkce) }).expect(400)).body.error, 'invalid_grant');
    const wrong = randomBytes(32).toString('base64url');
    await exchange({ code: await codeFor(alice, pkce), code_verifier: wrong }).expect(400);
    await exchange({ code: await codeFor(alice, pkce), code_verifier: verifier }).expect(200);
  });

  it('accepts client credentials in HTTP Basic auth', async () => {
    const code = await codeFor(alice);
    await request(h.server)
      .post('/hub/api/oauth2/token')
      .auth(CLIENT, serverToken)
      .type('form')
      .send({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK })
      .expect(200);
  });

  it('a stopped server is no client any more', async () => {
    const code = await codeFor(alice);
    await request(h.server).delete('/hub/api/users/alice/server').set(admin).expect(204);
    assert.equal((await exchange({ code }).expect(401)).body.error, 'invalid_client');
    assert.equal((await alice.get(authorizeUrl())).status, 400);
  });
});

describe('client ids of look-alike names', () => {
  // User `a-b`'s default server and user `a`'s server `b` were both `jupyterhub-user-a-b`.
  const serverOf = async (user: string, serverName: string) => {
    h.startScripts.set(user, 'happy');
    const path = serverName ? `servers/${serverName}` : 'server';
    await request(h.server).post(`/hub/api/users/${user}/${path}`).set(admin).expect(201);
    const spawnId = ((await h.streamEvents(user, serverName)).find((e) => e.type === 'SpawnRequested')!.data as any)
      .spawnId;
    const secret = await issueToken(h.t.pool, {
      owner: user,
      kind: 'server',
      spawnId,
      serverName,
      scopes: serverTokenScopes(user, serverName),
    });
    const browser = new TestBrowser(h.server);
    await browser.login(user);
    const clientId = oauthClientId(user, serverName);
    const callback = `/user/${user}/${serverName ? `${serverName}/` : ''}oauth_callback`;
    return { clientId, callback, secret, browser };
  };
  const authorize = (b: TestBrowser, client_id: string, redirect_uri: string) =>
    b.get(
      `/hub/api/oauth2/authorize?${new URLSearchParams({ client_id, redirect_uri, response_type: 'code', state: 's' })}`,
    );
  const codeOf = (res: { status: number; headers: Record<string, any> }) =>
    new URL(res.headers.location, 'http://hub').searchParams.get('code')!;

  it('gives each its own client; neither can authorize or trade a code as the other', async () => {
    for (const name of ['a-b', 'a']) await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
    const ab = await serverOf('a-b', '');
    const aB = await serverOf('a', 'b');
    assert.notEqual(ab.clientId, aB.clientId);

    // Each authorizes as itself, to its own callback.
    const abAuth = await authorize(ab.browser, ab.clientId, ab.callback);
    assert.equal(abAuth.status, 302, abAuth.text);
    const aBAuth = await authorize(aB.browser, aB.clientId, aB.callback);
    assert.equal(aBAuth.status, 302, aBAuth.text);
    assert.equal(new URL(aBAuth.headers.location, 'http://hub').pathname, aB.callback);

    // Neither client takes the other's callback, and neither owner the other's client.
    assert.equal((await authorize(aB.browser, ab.clientId, aB.callback)).status, 400);
    assert.equal((await authorize(ab.browser, aB.clientId, ab.callback)).status, 400);
    assert.notEqual((await authorize(aB.browser, ab.clientId, ab.callback)).status, 302);

    // A code is traded only by its own client with its own secret.
    const token = (client_id: string, client_secret: string, code: string, redirect_uri: string) =>
      request(h.server)
        .post('/hub/api/oauth2/token')
        .type('form')
        .send({ grant_type: 'authorization_code', client_id, client_secret, code, redirect_uri });
    await token(ab.clientId, aB.secret, codeOf(abAuth), ab.callback).expect(401);
    await token(aB.clientId, ab.secret, codeOf(aBAuth), aB.callback).expect(401);
    const mine = await token(aB.clientId, aB.secret, codeOf(aBAuth), aB.callback).expect(200);
    assert.match(mine.body.scope, /access:servers!server=a\/b/);
    await token(ab.clientId, ab.secret, codeOf(abAuth), ab.callback).expect(200);
  });
});
