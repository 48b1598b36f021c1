import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { verifySession } from '@condorhub/session-cookie';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';
import { TestBrowser, setCookies } from '../../web/testing/browser';

const SECRET = 'cookie-secret-for-header-tests-0123456789';
const env = { CONDORHUB_COOKIE_SECRET: SECRET, CONDORHUB_AUTHENTICATOR: 'header' };
// supertest connects from 127.0.0.1: one hub trusts that address, the other trusts only 10.1.0.0/16.
const trusting = new HubHarness();
const distrusting = new HubHarness();

before(async () => {
  await trusting.start('hub_header_ok', {
    env,
    web: { CONDORHUB_HEADER_TRUSTED: ['127.0.0.1', '10.1.0.0/16'], CONDORHUB_HEADER_NAME: 'X-Remote-User' },
  });
  await distrusting.start('hub_header_no', { env, web: { CONDORHUB_HEADER_TRUSTED: ['10.1.0.0/16'] } });
});
after(async () => {
  await trusting.stop();
  await distrusting.stop();
});

describe('header login', () => {
  it('logs in the user a trusted front end names', async () => {
    const b = new TestBrowser(trusting.server);
    const res = await b.get('/hub/login?next=/hub/home', { 'X-Remote-User': 'Erin' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/hub/home');
    assert.equal(verifySession(SECRET, setCookies(res).get('condorhub-session')?.value)?.user, 'erin');
    await request(trusting.server).get('/hub/api/users/erin').set('Authorization', `token ${ADMIN_TOKEN}`).expect(200);
  });

  it('through the proxy, the hop that reached the proxy must be trusted as well', async () => {
    const ok = await new TestBrowser(trusting.server).get('/hub/login', {
      'X-Remote-User': 'erin',
      // A client may write anything on the left; the proxy appends the real peer on the right.
      'X-Forwarded-For': '203.0.113.9, 10.1.2.3',
    });
    assert.equal(ok.status, 303);
    const spoofed = await new TestBrowser(trusting.server).get('/hub/login', {
      'X-Remote-User': 'root',
      'X-Forwarded-For': '10.1.2.3, 203.0.113.9',
    });
    assert.equal(spoofed.status, 403);
    assert.match(spoofed.text, /not from 203\.0\.113\.9/);
    assert.ok(!setCookies(spoofed).has('condorhub-session'));
  });

  it('refuses the header from an address that is not the front end', async () => {
    const res = await new TestBrowser(distrusting.server).get('/hub/login', { 'X-Remote-User': 'root' });
    assert.equal(res.status, 403);
    assert.match(res.text, /only accepted from the site/);
    assert.ok(!setCookies(res).has('condorhub-session'));
    await request(distrusting.server)
      .get('/hub/api/users/root')
      .set('Authorization', `token ${ADMIN_TOKEN}`)
      .expect(200); // root exists (config admin); nobody logged in as them
  });

  it('explains a request without the header, and refuses a bad name', async () => {
    const none = await new TestBrowser(trusting.server).get('/hub/login');
    assert.equal(none.status, 401);
    assert.match(none.text, /did not name a user/);
    const bad = await new TestBrowser(trusting.server).get('/hub/login', { 'X-Remote-User': 'a b' });
    assert.equal(bad.status, 400);
  });

  it('refuses root and system accounts even from the trusted front end', async () => {
    for (const name of ['root', 'nobody', 'daemon']) {
      const res = await new TestBrowser(trusting.server).get('/hub/login', { 'X-Remote-User': name });
      assert.equal(res.status, 403, name);
      assert.match(res.text, /system account/);
      assert.ok(!setCookies(res).has('condorhub-session'));
    }
  });
});
