import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ForwardingLibrary } from '../forwarding/forwarder';
import type { ProxyServer } from '../proxy-server';
import { closeWs, nextMessage, openWs, request, sessionCookie, type Backend } from '../testing/test-backends';
import { type TestProxy, startTestProxy } from '../testing/test-proxy';

// Other spellings of /user/bob/x: the route table decodes segments and skips empty ones, so each
// of these matched bob's route while a check on the path text saw no /user/ prefix.
const SPELLINGS = [
  '/user/bob/x',
  '/%75ser/bob/x',
  '/%75%73%65%72/bob/%78',
  '//user/bob/x',
  '/user//bob/x',
  '///user/bob/x',
];

// The default (http-proxy for HTTP, http-proxy-3 for websockets), then each library on both paths.
for (const library of [undefined, 'http-proxy-3', 'http-proxy'] as (ForwardingLibrary | undefined)[]) {
  describe(`the hub session never reaches a notebook (${library ?? 'default libraries'})`, () => {
    let bob: Backend;
    let proxy: ProxyServer;
    const admin = `theme=dark; ${sessionCookie('alice', true)}; lang=en`;
    const alice = sessionCookie('alice');

    let t: TestProxy;
    before(async () => {
      t = await startTestProxy({ routes: [{ server: 'bob', spawnId: 's-bob' }], options: { library } });
      ({ proxy } = t);
      ({ bob } = t.backends);
    });
    after(async () => t?.close());

    test('an admin reaches bob’s notebook by every spelling; the notebook sees the canonical path and no hub session', async () => {
      for (const path of SPELLINGS) {
        const r = await request(`${proxy.url}${path}?a=%75`, { cookie: admin });
        assert.equal(r.status, 200, path);
        const seen = JSON.parse(r.body);
        assert.equal(seen.backend, 'bob');
        assert.equal(seen.headers.cookie, 'theme=dark; lang=en', path);
        assert.equal(seen.path, '/user/bob/x?a=%75', path);
      }
      // The owner's own session does not go to the notebook either; with no other cookie, no header.
      const own = JSON.parse((await request(`${proxy.url}/%75ser/bob/x`, { cookie: sessionCookie('bob') })).body);
      assert.equal(own.headers.cookie, undefined);
      // The hub still gets it.
      assert.match(
        JSON.parse((await request(`${proxy.url}/hub/home`, { cookie: admin })).body).headers.cookie,
        /condorhub-session=/,
      );
    });

    test('another user with ?token=<anything> is refused by every spelling and never reaches the notebook', async () => {
      const before = bob.requests.length;
      for (const path of SPELLINGS) {
        for (const headers of [{ cookie: alice }, { cookie: alice, authorization: 'token junk' }, {}] as Record<
          string,
          string
        >[]) {
          const r = await request(`${proxy.url}${path}?token=junk`, headers);
          assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}`);
        }
      }
      assert.equal(bob.requests.length, before);
    });

    test('paths with no canonical form are refused with 400 and a reason', async () => {
      for (const [path, reason] of [
        ['/user/alice/../bob/x', /dot segments/],
        ['/user/alice/%2e%2E/bob/x', /dot segments/],
        ['/user/alice%2F..%2Fbob/x', /encoded slashes/],
        ['/user/bob/%zz', /percent-encoding/],
      ] as const) {
        const r = await request(`${proxy.url}${path}`, { cookie: admin });
        assert.equal(r.status, 400, path);
        assert.match(JSON.parse(r.body).message, reason);
      }
    });

    test('websockets: by every spelling an admin’s upgrade reaches bob without the hub session; another user with ?token= gets 403', async () => {
      for (const path of ['/%75ser/bob/ws', '//user/bob/ws', '/user//bob/ws']) {
        const ws = await openWs(`ws://127.0.0.1:${proxy.port}${path}`, { cookie: admin });
        ws.send('hi');
        assert.equal(await nextMessage(ws), 'bob:hi');
        await closeWs(ws);
        const seen = bob.upgrades.at(-1)!;
        assert.equal(seen.headers.cookie, 'theme=dark; lang=en', path);
        assert.equal(seen.url, '/user/bob/ws', path);
      }
      const before = bob.upgrades.length;
      for (const path of ['/user/bob/ws', '/%75ser/bob/ws', '//user/bob/ws']) {
        await assert.rejects(openWs(`ws://127.0.0.1:${proxy.port}${path}?token=junk`, { cookie: alice }), {
          status: 403,
        });
      }
      await assert.rejects(openWs(`ws://127.0.0.1:${proxy.port}/user/alice/..%2Fbob/ws`, { cookie: admin }), {
        status: 400,
      });
      assert.equal(bob.upgrades.length, before);
    });
  });
}
