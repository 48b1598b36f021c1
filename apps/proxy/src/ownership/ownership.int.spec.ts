import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyServer } from '../proxy-server';
import { SESSION_COOKIE_NAME, signSession } from '@condorhub/session-cookie';
import { openWs, request, sessionCookie, TEST_SECRET, type Backend } from '../testing/test-backends';
import { type TestProxy, startTestProxy } from '../testing/test-proxy';

describe('ownership of /user/<name>/', () => {
  let alice: Backend;
  let proxy: ProxyServer;
  let t: TestProxy;
  const html = { accept: 'text/html,application/xhtml+xml' };

  before(async () => {
    t = await startTestProxy({ routes: ['alice'] });
    ({ proxy } = t);
    ({ alice } = t.backends);
  });
  after(async () => t?.close());

  test('no cookie: a browser is redirected to the hub login with the original path', async () => {
    const r = await request(`${proxy.url}/user/alice/lab?file=a b`.replace(' ', '%20'), html);
    assert.equal(r.status, 302);
    assert.equal(r.headers.location, `/hub/login?next=${encodeURIComponent('/user/alice/lab?file=a%20b')}`);
    assert.equal(alice.requests.length, 0);
  });

  test('no cookie: an API client gets 403 JSON', async () => {
    const r = await request(`${proxy.url}/user/alice/api/contents`);
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.body).status, 403);
    assert.ok(JSON.parse(r.body).message);
  });

  test("another user's session cookie is refused", async () => {
    assert.equal((await request(`${proxy.url}/user/alice/lab`, { ...html, cookie: sessionCookie('bob') })).status, 302);
    assert.equal((await request(`${proxy.url}/user/alice/api`, { cookie: sessionCookie('bob') })).status, 403);
    assert.equal(alice.requests.length, 0);
  });

  test('tampered, foreign-secret and expired cookies are refused', async () => {
    const good = signSession(TEST_SECRET, { user: 'bob', admin: false, exp: Math.floor(Date.now() / 1000) + 60 });
    const [, sig] = good.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ u: 'alice', a: false, exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    const foreign = signSession('some-other-secret-987654321', {
      user: 'alice',
      admin: true,
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const expired = signSession(TEST_SECRET, { user: 'alice', admin: false, exp: Math.floor(Date.now() / 1000) - 1 });
    for (const value of [`${forgedPayload}.${sig}`, foreign, expired]) {
      const r = await request(`${proxy.url}/user/alice/api`, { cookie: `${SESSION_COOKIE_NAME}=${value}` });
      assert.equal(r.status, 403, value);
    }
    assert.equal(alice.requests.length, 0);
  });

  test('the owner and an admin are forwarded', async () => {
    assert.equal(
      JSON.parse((await request(`${proxy.url}/user/alice/api`, { cookie: sessionCookie('alice') })).body).backend,
      'alice',
    );
    assert.equal(
      JSON.parse((await request(`${proxy.url}/user/alice/api`, { cookie: `x=1; ${sessionCookie('root', true)}` })).body)
        .backend,
      'alice',
    );
  });

  test('a token the hub does not vouch for is no token: refused, the notebook never sees it', async () => {
    const before = alice.requests.length;
    // The stand-in hub answers 200 without scopes, as for a token that grants nothing here.
    for (const headers of [{ authorization: 'token abc' }, { authorization: 'Bearer abc' }, {}] as Record<
      string,
      string
    >[]) {
      assert.equal((await request(`${proxy.url}/user/alice/api/status?token=abc`, headers)).status, 403);
    }
    assert.equal((await request(`${proxy.url}/user/alice/api/status?token=`)).status, 403);
    assert.equal((await request(`${proxy.url}/user/alice/api/status`, { authorization: 'Basic YTpi' })).status, 403);
    assert.equal(alice.requests.length, before);
  });

  test('websocket upgrades without rights get 403 and never reach the backend', async () => {
    const before = alice.requests.length;
    await assert.rejects(openWs(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`), { status: 403 });
    await assert.rejects(
      openWs(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`, { cookie: sessionCookie('bob') }),
      { status: 403 },
    );
    assert.equal(alice.requests.length, before);
  });

  test('a missing server of another user is refused exactly like a running one', async () => {
    assert.equal((await request(`${proxy.url}/user/carol/api`, { cookie: sessionCookie('bob') })).status, 403);
    assert.equal((await request(`${proxy.url}/user/carol/api`, { cookie: sessionCookie('carol') })).status, 503);
  });
});
