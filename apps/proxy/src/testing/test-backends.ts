/** Real stand-in notebooks for the proxy's integration tests: HTTP echo plus a websocket echo. */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { SESSION_COOKIE_NAME, signSession } from '@condorhub/session-cookie';

export interface Backend {
  name: string;
  url: string;
  port: number;
  requests: http.IncomingMessage[];
  /** Websocket upgrade requests that reached this backend. */
  upgrades: http.IncomingMessage[];
  close(): Promise<void>;
}

/** Answers every request with JSON {backend, path, headers}; echoes websocket messages as "<name>:<msg>". */
export async function startBackend(name: string, port = 0): Promise<Backend> {
  const requests: http.IncomingMessage[] = [];
  const upgrades: http.IncomingMessage[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests.push(req);
    const body = JSON.stringify({ backend: name, path: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    upgrades.push(req);
    ws.on('message', (m) => ws.send(`${name}:${m.toString()}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const p = (server.address() as AddressInfo).port;
  return {
    name,
    port: p,
    url: `http://127.0.0.1:${p}`,
    requests,
    upgrades,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function request(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // Split by hand: URL parsing would normalise dot segments the tests want to send raw.
    const m = /^http:\/\/([^/:]+):(\d+)(\/.*)?$/.exec(url);
    if (!m) throw new Error(`bad test url ${url}`);
    const opts = { host: m[1], port: Number(m[2]), path: m[3] ?? '/', method, headers, agent: false };
    const req = http.request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('test request timed out')));
    req.end();
  });
}

/** Opens a websocket; resolves with the socket once open, or rejects with the HTTP status of a refused upgrade. */
export function openWs(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      const err = Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode });
      res.resume();
      ws.terminate();
      reject(err);
    });
    ws.once('error', (e) => reject(Object.assign(e, { status: 0 })));
  });
}

export function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('message', (m) => resolve(m.toString()));
    ws.once('error', reject);
  });
}

export function closeWs(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
    setTimeout(() => ws.terminate(), 1000).unref();
  });
}

/** Polls a condition (for asynchronous socket teardown), failing after timeoutMs. */
export async function eventually(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const TEST_SECRET = 'integration-test-secret-0123456789';

/** Cookie header for a hub session of `user`. */
export function sessionCookie(user: string, admin = false, secret = TEST_SECRET): string {
  return `${SESSION_COOKIE_NAME}=${signSession(secret, { user, admin, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
}
