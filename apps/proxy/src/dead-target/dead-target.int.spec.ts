import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { ProxyServer } from '../proxy-server';
import type { RemovedRoute } from '../routing/route-table';
import type { ForwardingLibrary } from '../forwarding/forwarder';
import {
  closeWs,
  deadPort,
  eventually,
  nextMessage,
  openWs,
  request,
  sessionCookie,
  startBackend,
  TEST_SECRET,
  type Backend,
} from '../testing/test-backends';

describe('dead targets, missing routes and slot reuse', () => {
  let hub: Backend;
  let proxy: ProxyServer;
  const removed: RemovedRoute[] = [];
  const alice = sessionCookie('alice');
  const html = { accept: 'text/html' };

  before(async () => {
    hub = await startBackend('hub');
    proxy = new ProxyServer({
      port: 0,
      hubUrl: hub.url,
      cookieSecret: TEST_SECRET,
      onRouteRemoved: (r) => removed.push(r),
    });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await hub?.close();
  });

  test('a refused target gives the friendly 503 page to browsers and JSON to API clients', async () => {
    const port = await deadPort();
    proxy.routes.set({
      routeSpec: '/user/alice/gpu/',
      target: `http://127.0.0.1:${port}`,
      spawnId: 'd1',
      owner: 'alice',
      serverName: 'gpu',
      generation: 1,
    });
    const page = await request(`${proxy.url}/user/alice/gpu/lab`, { ...html, cookie: alice });
    assert.equal(page.status, 503);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    assert.match(page.body, /alice&#39;s server “gpu”/);
    assert.match(page.body, /may have stopped/);
    assert.match(page.body, /href="\/hub\/home"/);
    assert.match(page.body, /href="\/hub\/spawn\/alice\/gpu"/);
    const api = await request(`${proxy.url}/user/alice/gpu/api/kernels`, { cookie: alice });
    assert.equal(api.status, 503);
    assert.equal(JSON.parse(api.body).status, 503);
    proxy.routes.remove('/user/alice/gpu/');
  });

  test('a target that accepts but never answers times out into a 503', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const held: net.Socket[] = [];
    silent.on('connection', (s) => held.push(s));
    const slow = new ProxyServer({ port: 0, hubUrl: hub.url, cookieSecret: TEST_SECRET, responseTimeoutMs: 200 });
    try {
      await slow.start();
      const port = (silent.address() as net.AddressInfo).port;
      slow.routes.set({
        routeSpec: '/user/alice/',
        target: `http://127.0.0.1:${port}`,
        spawnId: 't1',
        owner: 'alice',
        serverName: '',
        generation: 1,
      });
      const r = await request(`${slow.url}/user/alice/api`, { cookie: alice });
      assert.equal(r.status, 503);
      assert.match(slow.metrics.render(), /condorhub_proxy_errors_total\{reason="target-timeout"\} 1/);
    } finally {
      await slow.stop();
      held.forEach((s) => s.destroy());
      await new Promise((r) => silent.close(r));
    }
  });

  test('no route: the owner gets the 503 page with a link to start the server', async () => {
    const page = await request(`${proxy.url}/user/alice/lab`, { ...html, cookie: alice });
    assert.equal(page.status, 503);
    assert.match(page.body, /is not running/);
    assert.match(page.body, /href="\/hub\/spawn\/alice"/);
  });

  test('paths outside /user/ and /hub/ get 404', async () => {
    assert.equal((await request(`${proxy.url}/nowhere`)).status, 404);
  });

  test("slot reuse: bob's newer route evicts alice's, and alice's browser never reaches bob's notebook", async () => {
    removed.length = 0;
    const aliceNb = await startBackend('alice');
    const port = aliceNb.port;
    proxy.routes.set({
      routeSpec: '/user/alice/',
      target: aliceNb.url,
      spawnId: 'a1',
      owner: 'alice',
      serverName: '',
      generation: 10,
    });
    assert.equal(JSON.parse((await request(`${proxy.url}/user/alice/api`, { cookie: alice })).body).backend, 'alice');

    // alice's job ends without a route removal; the slot and port are handed to bob's new job
    await aliceNb.close();
    const bobNb = await startBackend('bob', port);
    try {
      const out = proxy.routes.set({
        routeSpec: '/user/bob/',
        target: `http://127.0.0.1:${port}`,
        spawnId: 'b1',
        owner: 'bob',
        serverName: '',
        generation: 11,
      });
      assert.equal(out.applied, true);
      assert.deepEqual(
        removed.map((r) => [r.route.routeSpec, r.route.spawnId, r.reason]),
        [['/user/alice/', 'a1', 'target-reused']],
      );

      const asAlice = [
        await request(`${proxy.url}/user/alice/api`, { cookie: alice }),
        await request(`${proxy.url}/user/alice/lab`, { ...html, cookie: alice }),
        await request(`${proxy.url}/user/bob/api`, { cookie: alice }),
        await request(`${proxy.url}/user/bob/lab`, { ...html, cookie: alice }),
      ];
      assert.deepEqual(
        asAlice.map((r) => r.status),
        [503, 503, 403, 302],
      );
      for (const r of asAlice) assert.doesNotMatch(r.body, /"backend":"bob"/);
      await assert.rejects(
        openWs(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`, { cookie: alice }),
        { status: 503 },
      );

      // alice's late RouteRequested for the old spawn must not take the slot back
      const late = proxy.routes.set({
        routeSpec: '/user/alice/',
        target: `http://127.0.0.1:${port}`,
        spawnId: 'a1',
        owner: 'alice',
        serverName: '',
        generation: 10,
      });
      assert.equal(late.applied, false);
      assert.equal((await request(`${proxy.url}/user/alice/api`, { cookie: alice })).status, 503);
      assert.equal(bobNb.requests.filter((q) => q.url?.startsWith('/user/alice')).length, 0);

      // bob himself is served
      assert.equal(
        JSON.parse((await request(`${proxy.url}/user/bob/api`, { cookie: sessionCookie('bob') })).body).backend,
        'bob',
      );
    } finally {
      await bobNb.close();
    }
  });
});

/** A started proxy with one route /user/alice/ → a live backend, and its open-socket count before any client. */
async function proxyToAlice(library: ForwardingLibrary, spawnId: string) {
  const hub = await startBackend('hub');
  const backend = await startBackend('alice');
  const proxy = new ProxyServer({ port: 0, hubUrl: hub.url, cookieSecret: TEST_SECRET, library });
  await proxy.start();
  const baseline = proxy.metrics.openSockets;
  proxy.routes.set({
    routeSpec: '/user/alice/',
    target: backend.url,
    spawnId,
    owner: 'alice',
    serverName: '',
    generation: 2,
  });
  return { hub, backend, proxy, baseline };
}

for (const library of ['http-proxy-3', 'http-proxy'] as ForwardingLibrary[]) {
  test(`${library}: websocket upgrades to a stopped server are closed at once and leak no socket`, async () => {
    const { hub, backend, proxy, baseline } = await proxyToAlice(library, 'w1');
    const alice = sessionCookie('alice');
    try {
      const wsUrl = `ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`;
      const live = await openWs(wsUrl, { cookie: alice });
      const reply = nextMessage(live);
      live.send('x');
      assert.equal(await reply, 'alice:x');
      assert.ok(proxy.metrics.openSockets > baseline);

      await backend.close(); // the server stops under an open websocket
      await eventually(() => proxy.metrics.websocketsOpen === 0, 5000, 'websocket closed after the server stopped');
      await closeWs(live);
      await eventually(() => proxy.metrics.openSockets === baseline, 5000, 'live websocket released');

      for (let i = 0; i < 25; i++) await assert.rejects(openWs(wsUrl, { cookie: alice }), { status: 503 });
      proxy.routes.remove('/user/alice/', 'w1'); // then its route goes away too
      for (let i = 0; i < 25; i++) {
        await assert.rejects(openWs(wsUrl, { cookie: alice }), { status: 503 });
        await assert.rejects(openWs(wsUrl, { cookie: sessionCookie('mallory') }), { status: 403 });
      }
      await eventually(() => proxy.metrics.openSockets === baseline, 5000, `open sockets back to ${baseline}`);
      assert.equal(proxy.metrics.websocketsOpen, 0);
    } finally {
      await proxy.stop();
      await hub.close();
    }
  });
}

for (const library of ['http-proxy-3', 'http-proxy'] as ForwardingLibrary[]) {
  test(`${library}: a websocket whose notebook closes first is released however late the browser answers`, async () => {
    const { hub, backend, proxy, baseline } = await proxyToAlice(library, 'w2');
    const client = new net.Socket({ allowHalfOpen: true });
    try {
      // A browser as raw TCP, so it can answer the proxy's half-close late, as a busy one does.
      await new Promise<void>((resolve, reject) => {
        client.once('error', reject);
        client.connect(proxy.port, '127.0.0.1', () => resolve());
      });
      const switched = new Promise<string>((resolve) => client.once('data', (d) => resolve(d.toString('latin1'))));
      client.write(
        'GET /user/alice/api/kernels/k/channels HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
          `Cookie: ${sessionCookie('alice')}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      assert.match(await switched, /^HTTP\/1\.1 101/);
      client.resume();
      const halfClosed = new Promise<void>((resolve) => client.once('end', () => resolve()));
      await backend.close(); // the notebook goes; the proxy passes its FIN on
      await halfClosed;
      // The browser answers late with its close frame (masked, empty), then its FIN: by then the
      // proxy no longer pipes this side anywhere.
      await new Promise((r) => setTimeout(r, 300));
      client.end(Buffer.from([0x88, 0x80, 1, 2, 3, 4]));
      await eventually(() => proxy.metrics.openSockets === baseline, 5000, 'the browser side released');
      assert.equal(proxy.metrics.websocketsOpen, 0);
    } finally {
      client.destroy();
      await proxy.stop();
      await hub.close();
    }
  });
}
