import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ProxyServer } from '../proxy-server';
import { type TestProxy, startTestProxy } from '../testing/test-proxy';
import { spawn } from 'node:child_process';
import { eventually, request, sessionCookie, startBackend, TEST_SECRET, type Backend } from '../testing/test-backends';

/** The proxy's own HTTP path (the default): what http-proxy did for us, checked here. */
describe('HTTP forwarded on node:http directly', () => {
  let hub: Backend;
  let target: http.Server;
  let proxy: ProxyServer;
  let test_: TestProxy | undefined;
  const targetSockets = new Set<Socket>();
  let leftRequests = 0;
  const cookie = sessionCookie('alice');

  before(async () => {
    hub = await startBackend('hub');
    target = http.createServer((req, res) => {
      if (req.url!.endsWith('/echo')) {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          res.writeHead(201, 'Made', [
            'content-type',
            'application/json',
            'set-cookie',
            'a=1; Path=/',
            'set-cookie',
            'b=2; Path=/',
          ]);
          res.end(JSON.stringify({ method: req.method, body: Buffer.concat(chunks).toString(), headers: req.headers }));
        });
        return;
      }
      if (req.url!.endsWith('/broken')) {
        // Promises 1000 bytes, sends 5, then the notebook dies.
        res.writeHead(200, { 'content-length': '1000' });
        res.write('hello');
        setTimeout(() => req.socket.destroy(), 50);
        return;
      }
      if (req.url!.endsWith('/never')) {
        req.socket.once('close', () => leftRequests++);
        return;
      }
      res.end('ok');
    });
    target.on('connection', (s: Socket) => (targetSockets.add(s), s.once('close', () => targetSockets.delete(s))));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
    test_ = await startTestProxy({
      options: { hubUrl: hub.url },
      routes: [{ server: 'alice', target: `http://127.0.0.1:${(target.address() as AddressInfo).port}` }],
    });
    proxy = test_.proxy;
    assert.equal(proxy.forwarder.libraries.http, 'node-http');
  });
  after(async () => {
    await test_?.close();
    await hub?.close();
    target?.closeAllConnections();
    await new Promise<void>((r) => target?.close(() => r()));
  });

  function send(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; message: string; headers: http.IncomingHttpHeaders; raw: string[]; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${proxy.url}${path}`, { method, headers: { cookie, ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            message: res.statusMessage!,
            headers: res.headers,
            raw: res.rawHeaders,
            body: text,
          }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  test('request bodies (sized and chunked) reach the notebook; status line and repeated headers come back', async () => {
    const sized = await send('POST', '/user/alice/echo', 'x'.repeat(70_000), { 'content-type': 'text/plain' });
    assert.equal(sized.status, 201);
    assert.equal(sized.message, 'Made');
    const got = JSON.parse(sized.body);
    assert.equal(got.method, 'POST');
    assert.equal(got.body.length, 70_000);
    assert.equal(got.headers.cookie, undefined, 'the hub session never reaches the notebook');
    assert.deepEqual(sized.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);

    const chunked = await send('PUT', '/user/alice/echo', 'streamed', { 'transfer-encoding': 'chunked' });
    assert.equal(JSON.parse(chunked.body).body, 'streamed');
    const del = await send('DELETE', '/user/alice/echo');
    assert.equal(JSON.parse(del.body).headers['content-length'], '0');
  });

  test('a notebook that breaks off its answer breaks off the browser’s, instead of leaving it waiting', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = http.get(`${proxy.url}/user/alice/broken`, { headers: { cookie } }, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('ended as if whole'));
        res.on('error', () => resolve('broken off'));
        res.on('aborted', () => resolve('broken off'));
      });
      req.on('error', () => resolve('broken off'));
      req.setTimeout(5000, () => resolve('left waiting'));
    });
    assert.equal(outcome, 'broken off');
  });

  test('a browser that leaves before the answer closes the notebook’s request, and no error is counted', async () => {
    const before = leftRequests;
    const errorsBefore = [...proxy.metrics.errors.values()].reduce((a, n) => a + n, 0);
    const req = http.get(`${proxy.url}/user/alice/never`, { headers: { cookie } });
    req.on('error', () => {});
    await eventually(() => targetSockets.size > 0, 5000, 'the request reaches the notebook');
    req.destroy();
    await eventually(() => leftRequests > before, 5000, 'the notebook sees its request closed');
    const errorsAfter = [...proxy.metrics.errors.values()].reduce((a, n) => a + n, 0);
    assert.equal(errorsAfter, errorsBefore);
  });
});

test('a notebook port that never completes the handshake gets a 503 after the connect timeout', async () => {
  // A listener whose accept queue is full: the kernel drops further SYNs, so connecting hangs
  // (a dead host that never answers). Python holds it without accepting.
  const holder = spawn(
    'python3',
    [
      '-c',
      [
        'import socket, time',
        's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
        'print(s.getsockname()[1], flush=True)',
        'fill = []',
        'for i in range(4):',
        '    c = socket.socket(); c.setblocking(False)',
        '    try: c.connect(s.getsockname())',
        '    except BlockingIOError: pass',
        '    fill.append(c)',
        'time.sleep(60)',
      ].join('\n'),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const hub = await startBackend('hub');
  const proxy = new ProxyServer({ port: 0, hubUrl: hub.url, cookieSecret: TEST_SECRET, connectTimeoutMs: 300 });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      holder.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      holder.once('error', reject);
      setTimeout(() => reject(new Error('python3 did not start')), 5000);
    });
    await proxy.start();
    proxy.routes.set({
      routeSpec: '/user/dora/',
      target: `http://127.0.0.1:${port}`,
      spawnId: 'd1',
      owner: 'dora',
      serverName: '',
      generation: 1,
    });
    const r = await request(`${proxy.url}/user/dora/api`, { cookie: sessionCookie('dora') });
    assert.equal(r.status, 503);
    assert.equal(proxy.metrics.errors.get('target-timeout'), 1);
  } finally {
    holder.kill();
    await proxy.stop();
    await hub.close();
  }
});
