import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ADMIN_TOKEN, HubHarness } from '../../../hub/src/testing/hub-harness';
import { ProxyServer } from '../proxy-server';
import { request as get, sessionCookie, startBackend, TEST_SECRET, type Backend } from '../testing/test-backends';
import type { ForwardingLibrary } from './forwarder';

/** GET with a fresh connection; resolves with status, headers, body, and whether the proxy closed the connection. */
function fetchRaw(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        const socket = req.socket!;
        // A connection the server closes ends right after the response.
        setTimeout(() => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, closed: socket.destroyed });
          agent.destroy();
        }, 100);
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
  });
}

for (const library of [undefined, 'http-proxy', 'http-proxy-3'] as (ForwardingLibrary | undefined)[]) {
  describe(`hop-by-hop headers end at the proxy (${library ?? 'default libraries'})`, () => {
    let hub: Backend;
    let target: http.Server;
    let proxy: ProxyServer;

    before(async () => {
      hub = await startBackend('hub');
      // A target that sets its own connection options on its answer.
      target = http.createServer((req, res) => {
        const body = JSON.stringify({ headers: req.headers });
        res.writeHead(200, {
          'content-type': 'application/json',
          connection: 'keep-alive, X-Private',
          'x-private': 'for the proxy only',
          'keep-alive': 'timeout=99',
          'proxy-authenticate': 'Basic realm="x"',
          'x-end-to-end': 'yes',
        });
        res.end(body);
      });
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
      proxy = new ProxyServer({ port: 0, hubUrl: hub.url, cookieSecret: TEST_SECRET, library });
      await proxy.start();
      proxy.routes.set({
        routeSpec: '/user/alice/',
        target: `http://127.0.0.1:${(target.address() as AddressInfo).port}`,
        spawnId: 's1',
        owner: 'alice',
        serverName: '',
        generation: 1,
      });
    });
    after(async () => {
      await proxy?.stop();
      await hub?.close();
      target?.closeAllConnections();
      await new Promise<void>((r) => target?.close(() => r()));
    });

    test('the client’s connection headers do not reach the target', async () => {
      const r = await get(`${proxy.url}/hub/api/x`, {
        connection: 'keep-alive, X-Hop',
        'x-hop': 'for the proxy only',
        'keep-alive': 'timeout=1',
        te: 'trailers',
        'proxy-authorization': 'Basic eDp5',
        'proxy-connection': 'keep-alive',
        upgrade: 'h2c',
        'x-end-to-end': 'yes',
      });
      const seen = JSON.parse(r.body).headers;
      for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-authorization', 'proxy-connection', 'upgrade'])
        assert.equal(seen[name], undefined, name);
      assert.equal(seen['x-end-to-end'], 'yes');
      assert.notEqual(seen.connection, 'keep-alive, X-Hop');
    });

    test('the target’s connection headers do not reach the client; the client’s own wish decides its connection', async () => {
      const auth = { cookie: sessionCookie('alice') };
      const open = await fetchRaw(proxy.port, '/user/alice/x', auth);
      assert.equal(open.status, 200);
      assert.equal(open.headers['x-end-to-end'], 'yes');
      for (const name of ['x-private', 'proxy-authenticate']) assert.equal(open.headers[name], undefined, name);
      assert.notEqual(open.headers['keep-alive'], 'timeout=99');
      assert.equal(open.headers.connection, 'keep-alive');
      assert.equal(open.closed, false);
      const closing = await fetchRaw(proxy.port, '/user/alice/x', { ...auth, connection: 'close' });
      assert.equal(closing.headers.connection, 'close');
      assert.equal(closing.closed, true, 'the proxy closes the connection the client asked to close');
    });
  });
}

describe('the progress stream through the proxy and the real hub', () => {
  const h = new HubHarness();
  const admin = { Authorization: `token ${ADMIN_TOKEN}` };
  let token = '';
  let hubPort = 0;
  let proxy: ProxyServer;

  before(async () => {
    await h.start('proxy_progress');
    await request(h.server).post('/hub/api/users/alice').set(admin).expect(201);
    token = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body.token;
    h.startScripts.set('alice', 'pending');
    await request(h.server)
      .post('/hub/api/users/alice/server')
      .set({ Authorization: `token ${token}` })
      .expect(202);
    await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', () => r()));
    hubPort = (h.server.address() as AddressInfo).port;
    proxy = new ProxyServer({ port: 0, hubUrl: `http://127.0.0.1:${hubPort}`, cookieSecret: TEST_SECRET });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    await h.stop();
  });

  /** Opens the progress stream, reads its first event, and hangs up as a browser leaving the page. */
  const progressThenHangUp = (port: number, headers: Record<string, string>) =>
    new Promise<http.IncomingHttpHeaders>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/hub/api/users/alice/server/progress', agent: false, headers },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve(res.headers);
          });
        },
      );
      req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    });

  test('the hub no longer forces keep-alive on a client that asked to close; through the proxy neither', async () => {
    const auth = { authorization: `token ${token}` };
    assert.equal((await progressThenHangUp(hubPort, { ...auth, connection: 'close' })).connection, 'close');
    assert.equal((await progressThenHangUp(proxy.port, { ...auth, connection: 'close' })).connection, 'close');
  });

  test('after clients hang up on progress streams, the next requests are answered normally', async () => {
    const auth = { authorization: `token ${token}` };
    for (let round = 0; round < 3; round++) {
      await progressThenHangUp(proxy.port, auth);
      const next = await fetchRaw(proxy.port, '/hub/api/users/alice', auth);
      assert.equal(next.status, 200, next.body);
      assert.equal(JSON.parse(next.body).name, 'alice');
    }
  });
});
