import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { ProxyServer } from './proxy-server';
import { TEST_SECRET } from './testing/test-backends';

/** Writes raw bytes (the second part after a pause), returns all that comes back until the proxy closes. */
function exchange(port: number, first: string, second: string, pauseMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(first);
      setTimeout(() => socket.writable && socket.write(second), pauseMs);
    });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`the proxy did not close the socket; got ${JSON.stringify(text)}`));
    }, 5000).unref();
  });
}

describe('a request that cannot be parsed', () => {
  let hub: http.Server;
  let proxy: ProxyServer;

  before(async () => {
    // A hub whose /hub/slow answers late and whose /hub/stream streams until the client goes.
    hub = http.createServer((req, res) => {
      if (req.url === '/hub/slow') setTimeout(() => res.end('slow answer'), 300);
      else {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: 1\n\n');
        const t = setInterval(() => res.write('data: tick\n\n'), 50);
        res.on('close', () => clearInterval(t));
      }
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', () => r()));
    proxy = new ProxyServer({
      port: 0,
      hubUrl: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
      cookieSecret: TEST_SECRET,
    });
    await proxy.start();
  });
  after(async () => {
    await proxy?.stop();
    hub?.closeAllConnections();
    await new Promise<void>((r) => hub?.close(() => r()));
  });

  test('on an idle connection: 400 with a body saying why, then the connection closes', async () => {
    const text = await exchange(proxy.port, 'NOT HTTP AT ALL\r\n\r\n', '', 0);
    assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(text, /could not be read as HTTP/);
  });

  test('behind a request still waiting for its answer: the connection closes, no 400 stands in for that answer', async () => {
    const text = await exchange(proxy.port, 'GET /hub/slow HTTP/1.1\r\nHost: x\r\n\r\n', 'NOT HTTP\r\n\r\n', 50);
    assert.doesNotMatch(text, /400 Bad Request/);
  });

  test('behind a streaming response: the connection closes, nothing is written into the stream', async () => {
    const text = await exchange(proxy.port, 'GET /hub/stream HTTP/1.1\r\nHost: x\r\n\r\n', 'NOT HTTP\r\n\r\n', 200);
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    assert.match(text, /data: 1/);
    assert.doesNotMatch(text, /400 Bad Request/);
  });
});
