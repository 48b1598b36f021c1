import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ProxyServer } from '../proxy-server';
import type { ForwardingLibrary } from './forwarder';
import {
  closeWs,
  eventually,
  nextMessage,
  openWs,
  request,
  sessionCookie,
  startBackend,
} from '../testing/test-backends';
import { type TestProxy, startTestProxy } from '../testing/test-proxy';

// The default (http-proxy for HTTP, http-proxy-3 for websockets), then each library on both paths.
for (const library of [undefined, 'http-proxy-3', 'http-proxy'] as (ForwardingLibrary | undefined)[]) {
  describe(`forwarding through ${library ?? 'the default libraries'}`, () => {
    let proxy: ProxyServer;
    let t: TestProxy;
    const cookie = sessionCookie('alice');

    before(async () => {
      t = await startTestProxy({ registry: true, routes: ['alice', 'alice/gpu'], options: { library } });
      ({ proxy } = t);
    });
    after(async () => t?.close());

    test('HTTP reaches the owner’s backend with the path kept and X-Forwarded-* set', async () => {
      const r = await request(`${proxy.url}/user/alice/api/contents?x=1`, { cookie, host: 'hub.example.org' });
      assert.equal(r.status, 200);
      const body = JSON.parse(r.body);
      assert.equal(body.backend, 'alice');
      assert.equal(body.path, '/user/alice/api/contents?x=1');
      assert.equal(body.headers['x-forwarded-for'], '127.0.0.1');
      assert.equal(body.headers['x-forwarded-proto'], 'http');
      assert.equal(body.headers['x-forwarded-host'], 'hub.example.org');
      assert.equal(body.headers['x-forwarded-port'], '80', 'port of the Host the client used');
    });

    test('longest prefix: a named server under the default one goes to its own target', async () => {
      assert.equal(
        JSON.parse((await request(`${proxy.url}/user/alice/gpu/lab`, { cookie })).body).backend,
        'alice-gpu',
      );
      assert.equal(JSON.parse((await request(`${proxy.url}/user/alice/gpux/lab`, { cookie })).body).backend, 'alice');
    });

    test('static routes: /hub/ to the hub, the port report and launcher paths to port-registry, / redirects', async () => {
      assert.equal(JSON.parse((await request(`${proxy.url}/hub/home`)).body).backend, 'hub');
      assert.equal(
        JSON.parse((await request(`${proxy.url}/hub/api/batchspawner`, {}, 'POST')).body).backend,
        'registry',
      );
      assert.equal(
        JSON.parse((await request(`${proxy.url}/hub/api/condorhub/launcher/report`)).body).backend,
        'registry',
      );
      const root = await request(`${proxy.url}/`);
      assert.equal(root.status, 302);
      assert.equal(root.headers.location, '/hub/');
    });

    test('websockets are proxied both ways and closing them releases the sockets', async () => {
      const before = proxy.metrics.openSockets;
      const ws = await openWs(`${proxy.url.replace('http', 'ws')}/user/alice/api/kernels/k1/channels`, { cookie });
      const reply = nextMessage(ws);
      ws.send('hello');
      assert.equal(await reply, 'alice:hello');
      assert.equal(proxy.metrics.websocketsOpen, 1);
      await closeWs(ws);
      await eventually(
        () => proxy.metrics.openSockets === before && proxy.metrics.websocketsOpen === 0,
        5000,
        'sockets released',
      );
    });

    test('a route added at runtime is live for the next request', async () => {
      const bob = await startBackend('bob');
      try {
        proxy.routes.set({
          routeSpec: '/user/bob/',
          target: bob.url,
          spawnId: 'b1',
          owner: 'bob',
          serverName: '',
          generation: 3,
        });
        const r = await request(`${proxy.url}/user/bob/api`, { cookie: sessionCookie('bob') });
        assert.equal(JSON.parse(r.body).backend, 'bob');
      } finally {
        await bob.close();
      }
    });

    test('a browser that gives up on an endless response releases the notebook’s connection', async () => {
      // An event stream that never ends: the notebook only learns the browser left when the proxy
      // closes its side (http-proxy alone never did on Node ≥ 15.5: node-http-proxy#1559).
      let notebookClosed = false;
      const sse = http.createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        res.once('close', () => (notebookClosed = true));
      });
      await new Promise<void>((r) => sse.listen(0, '127.0.0.1', () => r()));
      try {
        proxy.routes.set({
          routeSpec: '/user/carol/',
          target: `http://127.0.0.1:${(sse.address() as AddressInfo).port}`,
          spawnId: 'c1',
          owner: 'carol',
          serverName: '',
          generation: 4,
        });
        await new Promise<void>((resolve, reject) => {
          const req = http.get(`${proxy.url}/user/carol/api/events`, { headers: { cookie: sessionCookie('carol') } });
          req.on('response', (res) => res.once('data', () => (req.destroy(), resolve())));
          req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        });
        await eventually(() => notebookClosed, 5000, 'the notebook sees its connection closed');
      } finally {
        sse.closeAllConnections();
        await new Promise<void>((r) => sse.close(() => r()));
      }
    });

    test('dot segments are refused', async () => {
      const r = await request(`${proxy.url}/user/alice/../bob/api`, { cookie });
      assert.equal(r.status, 400);
    });
  });
}
