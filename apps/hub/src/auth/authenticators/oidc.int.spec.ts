import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Provider from 'oidc-provider';
import { verifySession } from '@condorhub/session-cookie';
import { ensureUser } from '../../../../../tools/condor-sim/harness';
import { HubHarness } from '../../testing/hub-harness';
import { TestBrowser } from '../../web/testing/browser';

// A real OpenID Connect provider (oidc-provider) on a local port; its login step is automated:
// the interaction logs in whoever the test names in `nextLogin`.
const SECRET = 'cookie-secret-for-oidc-tests-0123456789ab';
const REDIRECT = 'http://127.0.0.1:8000/hub/oauth_callback';
// A local account with a uid below CONDORHUB_MIN_UID (set just above its uid) stands for a
// system account that is not on the fixed list.
const LOW_UID = 'choidclow';
const ACCOUNTS: Record<string, { preferred_username: string; groups?: string[] }> = {
  'sub-carol': { preferred_username: 'Carol' },
  'sub-bad': { preferred_username: '../not a name' },
  'sub-email': { preferred_username: 'dave@example.org' },
  'sub-digits': { preferred_username: '1000' },
  'sub-root': { preferred_username: 'root' },
  'sub-nobody': { preferred_username: 'nobody' },
  'sub-low': { preferred_username: LOW_UID },
  'sub-dave': { preferred_username: 'dave', groups: ['hpc-users', 'staff'] },
  'sub-erin': { preferred_username: 'erin', groups: ['staff'] },
  // Renamed at the provider to carol's name: must not become carol.
  'sub-mallory': { preferred_username: 'carol' },
};
let nextLogin = 'sub-carol';
let provider: Provider;
let idp: http.Server;
let issuer: string;
const h = new HubHarness();

/** Provider-side cookies, kept across its redirects. */
const idpCookies = new Map<string, string>();
async function idpGet(url: string): Promise<Response> {
  const res = await fetch(url, {
    redirect: 'manual',
    headers: { cookie: [...idpCookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    signal: AbortSignal.timeout(10_000),
  });
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const eq = pair.indexOf('=');
    idpCookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return res;
}

/** From the hub's redirect to the provider until the provider redirects back to the hub. */
async function throughProvider(authUrl: string): Promise<URL> {
  let url = authUrl;
  for (let i = 0; i < 8; i++) {
    const res = await idpGet(url);
    const location = res.headers.get('location');
    assert.ok(location, `provider answered ${res.status} at ${url}: ${await res.text()}`);
    const next = new URL(location, url);
    if (next.href.startsWith(REDIRECT)) return next;
    url = next.href;
  }
  throw new Error('too many provider redirects');
}

before(async () => {
  idp = http.createServer((req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void provider
        .interactionFinished(req, res, { login: { accountId: nextLogin } }, { mergeWithLastSubmission: false })
        .catch((e) => {
          res.statusCode = 500;
          res.end(String(e));
        });
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((r) => idp.listen(0, '127.0.0.1', () => r()));
  issuer = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
  provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'condorhub',
        client_secret: 'condorhub-client-secret',
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: { openid: ['sub'], profile: ['preferred_username', 'groups'] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) =>
      ACCOUNTS[id] ? { accountId: id, claims: async () => ({ sub: id, ...ACCOUNTS[id] }) } : undefined,
    // Consent is implied: the test is about the hub's side of the flow.
    loadExistingGrant: async (ctx: any) => {
      const id = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (id) return ctx.oidc.provider.Grant.find(id);
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile');
      await grant.save();
      return grant;
    },
  } as any);
  const lowUid = ensureUser(LOW_UID).uid;
  await h.start('hub_oidc', {
    env: { CONDORHUB_COOKIE_SECRET: SECRET, CONDORHUB_AUTHENTICATOR: 'oidc' },
    web: {
      CONDORHUB_MIN_UID: lowUid + 1,
      CONDORHUB_OIDC_ALLOWED_USERS: ['carol', LOW_UID],
      CONDORHUB_OIDC_ALLOWED_GROUPS: ['hpc-users'],
      CONDORHUB_OIDC_ISSUER: issuer,
      CONDORHUB_OIDC_CLIENT_ID: 'condorhub',
      CONDORHUB_OIDC_CLIENT_SECRET: 'condorhub-client-secret',
      CONDORHUB_OIDC_REDIRECT_URL: REDIRECT,
      CONDORHUB_OIDC_SCOPES: 'openid profile',
    },
  });
});
after(async () => {
  await h.stop();
  idp.closeAllConnections();
  await new Promise((r) => idp.close(r));
});

/** The hub's redirect to the provider, and the browser that holds the login state cookie. */
async function beginLogin(next = '/hub/home') {
  const b = new TestBrowser(h.server);
  const page = await b.get(`/hub/login?next=${encodeURIComponent(next)}`);
  assert.match(page.text, /Sign in with 127\.0\.0\.1/);
  const res = await b.get(`/hub/oidc/login?next=${encodeURIComponent(next)}`);
  assert.equal(res.status, 302);
  assert.ok(res.headers.location.startsWith(`${issuer}/`), res.headers.location);
  const auth = new URL(res.headers.location);
  assert.equal(auth.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(b.cookies.has('condorhub-oidc'));
  return { b, authUrl: res.headers.location };
}

const callbackPath = (u: URL) => `${u.pathname}${u.search}`;

describe('OpenID Connect login against a real provider', () => {
  it('logs in with the provider’s preferred_username (lower-cased) and goes on to next', async () => {
    nextLogin = 'sub-carol';
    const { b, authUrl } = await beginLogin('/hub/admin');
    const back = await throughProvider(authUrl);
    assert.ok(back.searchParams.get('code'));
    const res = await b.get(callbackPath(back));
    assert.equal(res.status, 303, res.text);
    assert.equal(res.headers.location, '/hub/admin');
    assert.equal(verifySession(SECRET, b.cookies.get('condorhub-session'))?.user, 'carol');
    assert.ok(!b.cookies.has('condorhub-oidc'), 'the login state is single-use');
    // The code was used: replaying the callback does not log anyone in.
    const again = new TestBrowser(h.server);
    assert.notEqual((await again.get(callbackPath(back))).status, 303);
  });

  it('refuses a callback whose state belongs to another login (login CSRF)', async () => {
    const first = await beginLogin();
    const second = await beginLogin();
    const back = await throughProvider(first.authUrl);
    const res = await second.b.get(callbackPath(back));
    assert.equal(res.status, 403);
    assert.ok(!second.b.cookies.has('condorhub-session'));
  });

  it('refuses a callback without the login state, and the provider’s refusals', async () => {
    const { authUrl } = await beginLogin();
    const back = await throughProvider(authUrl);
    const stranger = new TestBrowser(h.server);
    assert.equal((await stranger.get(callbackPath(back))).status, 400);
    const denied = await beginLogin();
    const res = await denied.b.get('/hub/oauth_callback?error=access_denied&error_description=no%20thanks');
    assert.equal(res.status, 403);
    assert.match(res.text, /no thanks/);
  });

  it('refuses an account whose name is not a valid user name', async () => {
    nextLogin = 'sub-bad';
    idpCookies.clear();
    const { b, authUrl } = await beginLogin();
    const res = await b.get(callbackPath(await throughProvider(authUrl)));
    assert.equal(res.status, 400);
    assert.match(res.text, /not a valid user name/);
    assert.ok(!b.cookies.has('condorhub-session'));
  });

  /** Logs `sub` in at the provider and returns the hub's answer to the callback. */
  async function loginAs(sub: string) {
    nextLogin = sub;
    idpCookies.clear();
    const { b, authUrl } = await beginLogin();
    const res = await b.get(callbackPath(await throughProvider(authUrl)));
    return { res, loggedIn: verifySession(SECRET, b.cookies.get('condorhub-session'))?.user };
  }

  it('refuses names that are not POSIX user names (mail addresses, all digits)', async () => {
    for (const sub of ['sub-email', 'sub-digits']) {
      const { res, loggedIn } = await loginAs(sub);
      assert.equal(res.status, 400, sub);
      assert.match(res.text, /not a valid user name/);
      assert.equal(loggedIn, undefined);
    }
  });

  it('refuses root, system accounts by name, and local accounts below CONDORHUB_MIN_UID', async () => {
    for (const sub of ['sub-root', 'sub-nobody', 'sub-low']) {
      const { res, loggedIn } = await loginAs(sub);
      assert.equal(res.status, 403, sub);
      assert.match(res.text, /is a system account/);
      assert.equal(loggedIn, undefined, sub);
    }
    assert.match((await loginAs('sub-low')).res.text, /uid \d+ is below/);
  });

  it('lets in the allowed users and members of the allowed groups, no one else', async () => {
    assert.equal((await loginAs('sub-dave')).loggedIn, 'dave');
    const erin = await loginAs('sub-erin');
    assert.equal(erin.res.status, 403);
    assert.match(erin.res.text, /erin is not allowed to use this hub/);
    assert.equal(erin.loggedIn, undefined);
  });

  it('keeps a name to the provider account that first logged in with it', async () => {
    assert.equal((await loginAs('sub-carol')).loggedIn, 'carol');
    const mallory = await loginAs('sub-mallory');
    assert.equal(mallory.res.status, 403);
    assert.match(mallory.res.text, /belongs to another account/);
    assert.equal(mallory.loggedIn, undefined);
    assert.equal((await loginAs('sub-carol')).loggedIn, 'carol');
  });

  it('takes no password form', async () => {
    const b = new TestBrowser(h.server);
    await b.get('/hub/login');
    assert.equal((await b.post('/hub/login', { username: 'carol', _xsrf: 'x' })).status, 405);
  });
});
