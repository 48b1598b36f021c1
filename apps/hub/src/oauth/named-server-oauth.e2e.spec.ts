import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oauthClientId } from '@condorhub/tokens';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { bootAll } from '../../../all-in-one/src/boot-all';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { csrfOf } from '../web/testing/browser';

// A named server's OAuth client id holds `~` (oauth-clients.ts); the real jupyterhub-singleuser
// must take it as its client id and cookie name, and log a browser in through the hub with it.
const USER = 'chnamedoauth';
const SERVER = 'gpu';

describe('end to end: OAuth login to a named server with the real jupyterhub-singleuser', () => {
  let h: TestCondorhub;
  let base: string;
  const jar = new Map<string, string>();

  /** One request as a browser makes it: the jar's cookies, no redirects followed. */
  async function browse(url: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(new URL(url, base), {
      ...init,
      redirect: 'manual',
      headers: { accept: 'text/html', cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...init.headers },
      signal: AbortSignal.timeout(30_000),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }

  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'e2e_named_oauth',
      env: { CONDORHUB_NOTEBOOK_CMD: 'jupyterhub-singleuser', CONDORHUB_PENDING_POLL_S: '0.5' },
      boot: (config) => bootAll(config),
    });
    base = h.config.CONDORHUB_PUBLIC_URL;
  });
  after(async () => h?.close());

  it(
    'the notebook logs the owner in with its client id jupyterhub-user-<user>~<server>',
    { timeout: 240_000 },
    async () => {
      const admin = { authorization: `token ${h.config.CONDORHUB_ADMIN_TOKEN}` };
      const api = (path: string, method = 'GET') =>
        fetch(`${base}/hub/api${path}`, { method, headers: admin, signal: AbortSignal.timeout(30_000) });
      assert.ok([201, 409].includes((await api(`/users/${USER}`, 'POST')).status));
      assert.ok([201, 202].includes((await api(`/users/${USER}/servers/${SERVER}`, 'POST')).status));
      for (const deadline = Date.now() + 150_000; ;) {
        const model = (await (await api(`/users/${USER}`)).json()) as { servers?: Record<string, { ready?: boolean }> };
        if (model.servers?.[SERVER]?.ready) break;
        assert.ok(Date.now() < deadline, `not ready: ${JSON.stringify(model.servers)}`);
        await new Promise((r) => setTimeout(r, 500));
      }

      const form = await browse('/hub/login');
      const login = await browse('/hub/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          username: USER,
          password: '',
          _xsrf: csrfOf(await form.text())!,
          next: '/hub/home',
        }),
      });
      assert.equal(login.status, 303);

      // The notebook sends the browser to the hub's authorize with its own client id, and back.
      let url = `/user/${USER}/${SERVER}/tree`;
      const seen: string[] = [];
      let res = await browse(url);
      while (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, new URL(url, base)).href;
        seen.push(url);
        assert.ok(seen.length < 10, seen.join('\n'));
        res = await browse(url);
      }
      const authorize = seen.map((u) => new URL(u)).find((u) => u.pathname === '/hub/api/oauth2/authorize');
      assert.ok(authorize, seen.join('\n'));
      assert.equal(authorize.searchParams.get('client_id'), oauthClientId(USER, SERVER));
      assert.equal(oauthClientId(USER, SERVER), `jupyterhub-user-${USER}~${SERVER}`);
      assert.equal(res.status, 200, `${url}: ${(await res.text()).slice(0, 300)}`);
      assert.ok(jar.has(`jupyterhub-user-${USER}~${SERVER}`), [...jar.keys()].join(', '));
      await api(`/users/${USER}/servers/${SERVER}`, 'DELETE');
    },
  );
});
