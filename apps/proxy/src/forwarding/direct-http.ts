/**
 * HTTP forwarding on node:http alone (library 'node-http', the default for HTTP): what
 * http-proxy does for a request, without its per-request machinery. The profile of the bench
 * (bench/proxy/profile/) showed half of the proxy's CPU per request outside the two write system
 * calls, much of it in http-proxy's passes, its event emitter, header copies one setHeader at a
 * time, and our listeners on its events. Here, per request:
 *  - the outgoing headers are built once as a flat array (hub cookie dropped on user routes,
 *    hop-by-hop headers dropped, X-Forwarded-* appended as http-proxy's xfwd does) and handed to
 *    http.request, which serialises them without a setHeader per header;
 *  - the response's headers go to writeHead as one filtered array of the target's raw headers;
 *  - no closure is created: the listeners are shared functions finding their state on the objects
 *    they are called on;
 *  - a request body is piped only when there is one; the answer is copied chunk by chunk with
 *    backpressure, without pipe()'s listeners on both streams.
 * The same rules as on the library path: time limits to connect and to the response headers, a
 * browser that leaves closes the notebook's connection (node-http-proxy#1559), errors reported
 * with their kind, and a target that breaks off mid-answer breaks off the browser's answer too.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import { withoutSessionCookie } from './hub-cookie';
import { connectionOptions, keepNamed, REQUEST_HOP_BY_HOP, RESPONSE_HOP_BY_HOP } from './hop-by-hop';

/** What the direct path needs to know about a route (built once per route). */
export interface DirectTarget {
  secure: boolean;
  /** Host name for the connection (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** Host header for clients that sent none (HTTP/1.0). */
  host: string;
  agent: http.Agent;
  /** A notebook: the hub session cookie is never forwarded to it. */
  userRoute: boolean;
}

export type DirectErrorHandler = (
  err: NodeJS.ErrnoException,
  req: http.IncomingMessage,
  res: http.ServerResponse,
) => void;

const REQUEST_DROP = new Set([...REQUEST_HOP_BY_HOP, 'upgrade']);
const RESPONSE_DROP = new Set([...RESPONSE_HOP_BY_HOP, 'connection']);

/** Per-request state, kept on the outgoing request (no closures per request). */
interface Forward {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  onError: DirectErrorHandler;
  timer: NodeJS.Timeout | undefined;
  responded: boolean;
  proxyRes: http.IncomingMessage | undefined;
}

const FORWARD = Symbol('condorhub.forward');
const UPSTREAM = Symbol('condorhub.upstream');
type TaggedClientRequest = http.ClientRequest & { [FORWARD]: Forward };
type TaggedResponse = http.ServerResponse & { [UPSTREAM]?: TaggedClientRequest };

function timeoutError(message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = 'ETIMEDOUT';
  return err;
}

/**
 * An agent whose new connections must connect within `connectTimeoutMs` (dead hosts that never
 * answer SYN); reused keep-alive sockets cost nothing per request.
 */
export function agentWithConnectTimeout<A extends http.Agent>(agent: A, connectTimeoutMs: number): A {
  if (connectTimeoutMs <= 0) return agent;
  const create = (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection;
  (agent as unknown as { createConnection: (...a: unknown[]) => Socket }).createConnection = function (
    this: A,
    ...args: unknown[]
  ) {
    const socket = create.apply(this, args);
    if (socket && socket.connecting) {
      const t = setTimeout(onConnectTimeout, connectTimeoutMs, socket);
      socket.once('connect', () => clearTimeout(t));
      socket.once('close', () => clearTimeout(t));
    }
    return socket;
  };
  return agent;
}

function onConnectTimeout(socket: Socket): void {
  socket.destroy(timeoutError('connect timeout'));
}

/** Port the client addressed, as http-proxy's xfwd reports it (from Host, else the scheme's). */
function forwardedPort(host: string | undefined, encrypted: boolean): string {
  if (host) {
    const colon = host.lastIndexOf(':');
    if (colon > host.lastIndexOf(']')) {
      const port = host.slice(colon + 1);
      if (/^\d+$/.test(port)) return port;
    }
  }
  return encrypted ? '443' : '80';
}

/** The headers sent to the target, as one flat array [name, value, …]. */
export function outgoingHeaders(req: http.IncomingMessage, target: DirectTarget): string[] {
  const h = req.headers;
  const named = connectionOptions(h.connection);
  const out: string[] = [];
  let sawHost = false;
  for (const name in h) {
    if (REQUEST_DROP.has(name)) continue;
    if (named !== undefined && named.includes(name) && !keepNamed(name)) continue;
    // Appended below, after the client's own values.
    if (name === 'x-forwarded-for' || name === 'x-forwarded-port' || name === 'x-forwarded-proto') continue;
    const value = h[name];
    if (value === undefined) continue;
    if (name === 'host') sawHost = true;
    if (name === 'cookie' && target.userRoute) {
      const kept = withoutSessionCookie(value as string);
      if (kept !== undefined) out.push(name, kept);
      continue;
    }
    if (typeof value === 'string') out.push(name, value);
    else for (const v of value) out.push(name, v);
  }
  if (!sawHost) out.push('host', target.host);
  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const xff = h['x-forwarded-for'];
  const xfp = h['x-forwarded-port'];
  const xfproto = h['x-forwarded-proto'];
  const addr = req.socket.remoteAddress ?? '';
  const port = forwardedPort(h.host, encrypted);
  const proto = encrypted ? 'https' : 'http';
  // After the client's own values, as http-proxy's xfwd does.
  out.push(
    'x-forwarded-for',
    xff ? `${xff as string},${addr}` : addr,
    'x-forwarded-port',
    xfp ? `${xfp as string},${port}` : port,
    'x-forwarded-proto',
    xfproto ? `${xfproto as string},${proto}` : proto,
  );
  if (h['x-forwarded-host'] === undefined) out.push('x-forwarded-host', h.host ?? '');
  // As http-proxy: Node would frame a DELETE or OPTIONS without a length as chunked; say "no body".
  if ((req.method === 'DELETE' || req.method === 'OPTIONS') && h['content-length'] === undefined) {
    for (let i = 0; i < out.length; i += 2) {
      if (out[i] === 'transfer-encoding') {
        out.splice(i, 2);
        i -= 2;
      }
    }
    out.push('content-length', '0');
  }
  return out;
}

/** The target's response headers for the browser, as one flat array; `keepAlive`: the browser's connection stays open. */
export function incomingHeaders(raw: string[], keepAlive: boolean): string[] {
  let named: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 10 && raw[i].toLowerCase() === 'connection') {
      const listed = connectionOptions(raw[i + 1]);
      if (listed) named = named ? named.concat(listed) : listed;
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (RESPONSE_DROP.has(name)) continue;
    if (named !== undefined && named.includes(name) && !keepNamed(name)) continue;
    out.push(raw[i], raw[i + 1]);
  }
  // The browser's connection is the proxy's: kept open or closed as its own request asked.
  out.push('connection', keepAlive ? 'keep-alive' : 'close');
  return out;
}

/**
 * Forwards one request. `onError` gets every failure to reach the target or to read its answer,
 * except the browser itself having gone (then nothing is left to answer).
 */
export function forwardDirect(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  target: DirectTarget,
  responseTimeoutMs: number,
  onError: DirectErrorHandler,
): void {
  const options: http.RequestOptions = {
    hostname: target.hostname,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: outgoingHeaders(req, target) as unknown as http.OutgoingHttpHeaders,
    agent: target.agent,
  };
  let proxyReq: TaggedClientRequest;
  try {
    proxyReq = (target.secure ? https.request(options) : http.request(options)) as TaggedClientRequest;
  } catch (err) {
    // A header value Node will not send (it validates every one).
    onError(err as NodeJS.ErrnoException, req, res);
    return;
  }
  const f: Forward = { req, res, onError, timer: undefined, responded: false, proxyRes: undefined };
  proxyReq[FORWARD] = f;
  (res as TaggedResponse)[UPSTREAM] = proxyReq;
  if (responseTimeoutMs > 0) f.timer = setTimeout(onResponseTimeout, responseTimeoutMs, proxyReq);
  proxyReq.on('error', onUpstreamError);
  proxyReq.on('response', onUpstreamResponse);
  res.on('close', onBrowserClose);
  const h = req.headers;
  if (h['content-length'] === undefined && h['transfer-encoding'] === undefined) proxyReq.end();
  else req.pipe(proxyReq);
}

function onResponseTimeout(proxyReq: TaggedClientRequest): void {
  proxyReq[FORWARD].timer = undefined;
  if (!proxyReq[FORWARD].responded) proxyReq.destroy(timeoutError('no response from target'));
}

function settle(f: Forward): void {
  if (f.timer) clearTimeout(f.timer);
  f.timer = undefined;
}

function onUpstreamError(this: TaggedClientRequest, err: NodeJS.ErrnoException): void {
  const f = this[FORWARD];
  settle(f);
  // The browser left first (we destroyed this request for it): nobody to answer.
  if (f.res.destroyed || f.req.socket.destroyed) return;
  f.onError(err, f.req, f.res);
}

function onUpstreamResponse(this: TaggedClientRequest, proxyRes: http.IncomingMessage): void {
  const f = this[FORWARD];
  f.responded = true;
  settle(f);
  const res = f.res;
  if (res.destroyed || res.writableEnded) {
    proxyRes.destroy();
    return;
  }
  try {
    res.writeHead(
      proxyRes.statusCode ?? 502,
      proxyRes.statusMessage,
      incomingHeaders(proxyRes.rawHeaders, res.shouldKeepAlive) as unknown as http.OutgoingHttpHeaders,
    );
  } catch (err) {
    // A status line or header Node will not write to a browser: the target's answer is unusable.
    proxyRes.destroy();
    f.onError(err as NodeJS.ErrnoException, f.req, res);
    return;
  }
  f.proxyRes = proxyRes;
  proxyRes.on('aborted', onUpstreamAborted);
  // pipe() without its listeners on both streams: the browser's side closing is handled by
  // onBrowserClose, which takes the notebook's request (and so this response) down with it.
  proxyRes.on('data', onUpstreamData);
  proxyRes.on('end', onUpstreamEnd);
}

function forwardOf(proxyRes: http.IncomingMessage): Forward {
  return (proxyRes as http.IncomingMessage & { req: TaggedClientRequest }).req[FORWARD];
}

function onUpstreamData(this: http.IncomingMessage, chunk: Buffer): void {
  const res = forwardOf(this).res;
  if (res.destroyed) return;
  // Backpressure: a slow browser pauses the notebook's answer until its side drains.
  if (!res.write(chunk)) {
    this.pause();
    res.once('drain', resumeUpstream);
  }
}

function resumeUpstream(this: TaggedResponse): void {
  this[UPSTREAM]?.[FORWARD].proxyRes?.resume();
}

function onUpstreamEnd(this: http.IncomingMessage): void {
  const res = forwardOf(this).res;
  if (!res.destroyed) res.end();
}

/** The target broke off its answer: so does the browser's (a truncated answer must not look whole). */
function onUpstreamAborted(this: http.IncomingMessage): void {
  const proxyReq = (this as http.IncomingMessage & { req?: TaggedClientRequest }).req;
  proxyReq?.[FORWARD].res.destroy();
}

/** The browser's side closed: before the answer was complete, the notebook's request goes too. */
function onBrowserClose(this: TaggedResponse): void {
  const proxyReq = this[UPSTREAM];
  if (!proxyReq) return;
  settle(proxyReq[FORWARD]);
  if (!this.writableFinished) proxyReq.destroy();
}
