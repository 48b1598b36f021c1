import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { SESSION_COOKIE_NAME, verifySession } from '@condorhub/session-cookie';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';
import { TestBrowser, csrfOf, setCookies } from '../testing/browser';

const SECRET = 'cookie-secret-for-login-tests-0123456789';
const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };

before(() =>
  h.start('hub_login', { env: { CONDORHUB_COOKIE_SECRET: SECRET }, web: { CONDORHUB_DUMMY_PASSWORD: 'sesame' } }),
);
after(() => h.stop());

describe('dummy login', () => {
  it('shows a form with a CSRF token bound to a cookie', async () => {
    const b = new TestBrowser(h.server);
    const res = await b.get('/hub/login?next=/hub/admin');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /text\/html/);
    assert.ok(csrfOf(res.text));
    assert.match(res.text, /name="next" value="\/hub\/admin"/);
    const csrf = setCookies(res).get('condorhub-csrf');
    assert.ok(csrf);
    assert.match(csrf.raw, /HttpOnly/);
    assert.match(csrf.raw, /SameSite=Lax/);
  });

  it('refuses a post without the CSRF token, a wrong password and a bad name; nothing is created', async () => {
    const b = new TestBrowser(h.server);
    await b.csrf();
    const noToken = await b.post('/hub/login', { username: 'mallory', password: 'sesame' });
    assert.equal(noToken.status, 403);
    assert.ok(!setCookies(noToken).has(SESSION_COOKIE_NAME));
    // A token from another browser does not fit this browser's cookie.
    const other = await new TestBrowser(h.server).csrf();
    assert.equal((await b.post('/hub/login', { username: 'mallory', password: 'sesame', _xsrf: other })).status, 403);
    const wrong = await b.post('/hub/login', { username: 'mallory', password: 'nope', _xsrf: await b.csrf() });
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /Wrong user name or password/);
    const bad = await b.post('/hub/login', { username: '../etc', password: 'sesame', _xsrf: await b.csrf() });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /not a valid user name/);
    assert.ok(!b.cookies.has(SESSION_COOKIE_NAME));
    await request(h.server).get('/hub/api/users/mallory').set(admin).expect(404);
  });

  it('logs in: the proxy-format session cookie (HttpOnly, SameSite=Lax, Path=/), the user created', async () => {
    const b = new TestBrowser(h.server);
    const _xsrf = await b.csrf('/hub/login?next=/hub/admin');
    const res = await b.post('/hub/login', { username: ' Alice ', password: 'sesame', _xsrf, next: '/hub/admin' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/hub/admin');
    const cookie = setCookies(res).get(SESSION_COOKIE_NAME)!;
    assert.match(cookie.raw, /HttpOnly/);
    assert.match(cookie.raw, /SameSite=Lax/);
    assert.match(cookie.raw, /Path=\/(;|$)/);
    const session = verifySession(SECRET, cookie.value);
    assert.equal(session?.user, 'alice');
    assert.equal(session?.admin, false);
    assert.ok(session!.exp > Date.now() / 1000 + 3600);
    // The CSRF binding is renewed at login.
    assert.ok(setCookies(res).has('condorhub-csrf'));
    await request(h.server).get('/hub/api/users/alice').set(admin).expect(200);
  });

  it('never redirects off the hub after login', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const b = new TestBrowser(h.server);
      const _xsrf = await b.csrf();
      const res = await b.post('/hub/login', { username: 'alice', password: 'sesame', _xsrf, next });
      assert.equal(res.headers.location, '/hub/home', next);
    }
  });

  it('marks configured admins as admin in the cookie', async () => {
    const b = new TestBrowser(h.server);
    await b.login('root', 'sesame');
    assert.equal(verifySession(SECRET, b.cookies.get(SESSION_COOKIE_NAME))?.admin, true);
  });

  it('a logged-in browser going to /hub/login goes on to next', async () => {
    const b = new TestBrowser(h.server);
    await b.login('alice', 'sesame');
    const res = await b.get('/hub/login?next=/hub/home');
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/hub/home');
  });
});

describe('the session as an API credential', () => {
  it('identifies the user on reads; writes need the CSRF token too', async () => {
    const b = new TestBrowser(h.server);
    await b.login('alice', 'sesame');
    const me = await request(h.server).get('/hub/api/user').set('Cookie', b.cookieHeader).expect(200);
    assert.equal(me.body.name, 'alice');
    assert.ok(me.body.scopes.includes('servers!user=alice'));
    // Another user's resources stay closed.
    await request(h.server).get('/hub/api/users/root').set('Cookie', b.cookieHeader).expect(403);
    // A cross-site form or script can send the cookie but not the token.
    await request(h.server).post('/hub/api/users/alice/server').set('Cookie', b.cookieHeader).expect(401);
    const token = await b.csrf('/hub/logout');
    await request(h.server)
      .post('/hub/api/users/alice/server')
      .set('Cookie', b.cookieHeader)
      .set('X-XSRFToken', token)
      .expect(202);
  });

  it('a tampered or foreign-signed cookie is no session', async () => {
    const b = new TestBrowser(h.server);
    await b.login('alice', 'sesame');
    const value = b.cookies.get(SESSION_COOKIE_NAME)!;
    const [payload, sig] = value.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'root', a: true, exp: 4102444800 })).toString('base64url');
    for (const v of [`${forged}.${sig}`, `${payload}.${sig.slice(1)}x`, 'garbage']) {
      await request(h.server).get('/hub/api/user').set('Cookie', `${SESSION_COOKIE_NAME}=${v}`).expect(401);
    }
  });
});

describe('logout', () => {
  it('needs the CSRF token, then clears the session', async () => {
    const b = new TestBrowser(h.server);
    await b.login('alice', 'sesame');
    const refused = await b.post('/hub/logout', {});
    assert.equal(refused.status, 403);
    assert.ok(b.cookies.has(SESSION_COOKIE_NAME));
    const page = await b.get('/hub/logout');
    assert.equal(page.status, 200);
    const res = await b.post('/hub/logout', { _xsrf: csrfOf(page.text)! });
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /^\/hub\/login/);
    assert.match(setCookies(res).get(SESSION_COOKIE_NAME)!.raw, /Max-Age=0/);
    assert.ok(!b.cookies.has(SESSION_COOKIE_NAME));
    assert.equal((await b.get('/hub/login')).status, 200);
  });
});

describe('the proxy’s refusals', () => {
  it('a logged-in user sent back from another user’s notebook gets a 403 page, not a redirect loop', async () => {
    const b = new TestBrowser(h.server);
    await b.login('alice', 'sesame');
    const res = await b.get(`/hub/login?next=${encodeURIComponent('/user/root/tree?x=1')}`);
    assert.equal(res.status, 403);
    assert.match(res.text, /belongs to root/);
    const own = await b.get(`/hub/login?next=${encodeURIComponent('/user/alice/tree')}`);
    assert.equal(own.status, 303);
  });
});
