/**
 * Forwards HTTP requests and websocket upgrades to a route's target. By default HTTP goes the
 * proxy's own way on node:http (direct-http.ts: about a third less CPU per request than
 * http-proxy, bench/proxy/profile/) and websockets through http-proxy-3, which carries the
 * websocket leak fixes http-proxy never merged. http-proxy or http-proxy-3 can still take the
 * HTTP path (CONDORHUB_PROXY_HTTP_LIBRARY); http-proxy's one known HTTP leak on Node ≥ 15.5 (a
 * browser that gives up is never passed on to the notebook, node-http-proxy#1559) is closed here.
 *
 * Per request on the library paths: one options object per route (built once), one error
 * listener for the whole proxy (no closure per request), keep-alive sockets to targets, and two
 * timeouts: connect (dead hosts that never answer SYN) and time-to-response-headers. There is no
 * idle timeout once a response streams, so long downloads, SSE and websockets are never cut.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import * as httpProxy3 from 'http-proxy-3';
import type { Route } from '../routing/route-table';
import { withoutSessionCookie } from './hub-cookie';
import { agentWithConnectTimeout, type DirectErrorHandler, type DirectTarget, forwardDirect } from './direct-http';
import { connectionOptions, keepNamed, REQUEST_HOP_BY_HOP, RESPONSE_HOP_BY_HOP } from './hop-by-hop';

/** 'node-http': HTTP on node:http alone (direct-http.ts); it has no websocket path (those take the default). */
export type ForwardingLibrary = 'node-http' | 'http-proxy-3' | 'http-proxy';
type WebsocketLibrary = Exclude<ForwardingLibrary, 'node-http'>;

export interface ForwardingLibraries {
  http: ForwardingLibrary;
  websocket: WebsocketLibrary;
}

export const DEFAULT_LIBRARIES: ForwardingLibraries = { http: 'node-http', websocket: 'http-proxy-3' };

export type ForwardErrorKind = 'refused' | 'timeout' | 'reset' | 'other';

export interface ForwarderOptions {
  /** One library for both paths, or per path; unset parts take DEFAULT_LIBRARIES. */
  library?: ForwardingLibrary | Partial<{ http: ForwardingLibrary; websocket: ForwardingLibrary }>;
  /** Time allowed to open the TCP connection to a target. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Time allowed until the target's response headers arrive. Default 120000 ms; 0 disables. */
  responseTimeoutMs?: number;
  /** Idle keep-alive sockets per target kept open. Default 64. */
  maxFreeSockets?: number;
  onWebError: (
    err: NodeJS.ErrnoException,
    kind: ForwardErrorKind,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => void;
  onWsError: (err: NodeJS.ErrnoException, kind: ForwardErrorKind, req: http.IncomingMessage, socket: Duplex) => void;
  /** An upstream websocket is established (proxySocket is the connection to the target). */
  onWsOpen?: (proxySocket: Socket) => void;
}

/** The subset of http-proxy's / http-proxy-3's ProxyServer this module uses. */
interface ProxyLike {
  web(req: http.IncomingMessage, res: http.ServerResponse, options: object): void;
  ws(req: http.IncomingMessage, socket: Duplex, head: Buffer, options: object): void;
  on(event: string, listener: (...args: any[]) => void): unknown;
  close?(): void;
}

export function classifyError(err: NodeJS.ErrnoException): ForwardErrorKind {
  switch (err.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'refused';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'timeout';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return 'other';
  }
}

function timeoutError(message: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(message);
  err.code = 'ETIMEDOUT';
  return err;
}

export class Forwarder {
  readonly libraries: ForwardingLibraries;
  /** Undefined when HTTP goes the direct way (node-http). */
  private readonly webProxy: ProxyLike | undefined;
  private readonly wsProxy: ProxyLike;
  private readonly directAgents: { http: http.Agent; https: https.Agent } | undefined;
  private readonly perRouteDirect = new WeakMap<Route, DirectTarget>();
  private readonly onDirectError: DirectErrorHandler;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly perRoute = new WeakMap<Route, RouteOptions>();
  private readonly connectTimeoutMs: number;
  private readonly responseTimeoutMs: number;

  constructor(private readonly options: ForwarderOptions) {
    const chosen =
      typeof options.library === 'string' ? { http: options.library, websocket: options.library } : options.library;
    const websocket = chosen?.websocket;
    this.libraries = {
      http: chosen?.http ?? DEFAULT_LIBRARIES.http,
      websocket: websocket && websocket !== 'node-http' ? websocket : DEFAULT_LIBRARIES.websocket,
    };
    this.connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 120_000;
    const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSockets ?? 64, scheduling: 'lifo' as const };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);

    this.wsProxy = this.createProxy(this.libraries.websocket);
    const httpLibrary = this.libraries.http;
    if (httpLibrary === 'node-http') {
      // The direct path arms the connect timeout once per new connection, in its agents.
      this.directAgents = {
        http: agentWithConnectTimeout(new http.Agent(agentOptions), this.connectTimeoutMs),
        https: agentWithConnectTimeout(new https.Agent(agentOptions), this.connectTimeoutMs),
      };
      this.webProxy = undefined;
    } else {
      this.webProxy = httpLibrary === this.libraries.websocket ? this.wsProxy : this.createProxy(httpLibrary);
    }
    this.onDirectError = (err, req, res) => options.onWebError(err, classifyError(err), req, res);
  }

  web(route: Route, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.webProxy) this.webProxy.web(req, res, this.optionsFor(route));
    else forwardDirect(req, res, this.directFor(route), this.responseTimeoutMs, this.onDirectError);
  }

  ws(route: Route, req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wsProxy.ws(req, socket, head, this.optionsFor(route));
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    this.directAgents?.http.destroy();
    this.directAgents?.https.destroy();
    this.wsProxy.close?.();
    if (this.webProxy && this.webProxy !== this.wsProxy) this.webProxy.close?.();
  }

  private directFor(route: Route): DirectTarget {
    let t = this.perRouteDirect.get(route);
    if (!t) {
      const u = route.targetUrl;
      const secure = u.protocol === 'https:';
      const hostname = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
      t = {
        secure,
        hostname,
        port: u.port ? Number(u.port) : secure ? 443 : 80,
        host: u.host,
        agent: secure ? this.directAgents!.https : this.directAgents!.http,
        userRoute: route.kind === 'user',
      };
      this.perRouteDirect.set(route, t);
    }
    return t;
  }

  private createProxy(library: WebsocketLibrary): ProxyLike {
    // Both libraries export createProxyServer with the same options.
    const create = (library === 'http-proxy' ? httpProxy.createProxyServer : httpProxy3.createProxyServer) as (
      o: object,
    ) => ProxyLike;
    const proxy = create({ xfwd: true, ws: true, preserveHeaderKeyCase: false });
    proxy.on('error', (err: NodeJS.ErrnoException, req: http.IncomingMessage, resOrSocket: unknown) => {
      const kind = classifyError(err);
      if (resOrSocket instanceof http.ServerResponse) this.options.onWebError(err, kind, req, resOrSocket);
      else this.options.onWsError(err, kind, req, resOrSocket as Duplex);
    });
    proxy.on(
      'proxyReq',
      (
        proxyReq: http.ClientRequest,
        req: http.IncomingMessage,
        res: http.ServerResponse,
        o: RouteOptions,
        socket?: Socket,
      ) => {
        if (o.userRoute) stripSessionCookie(proxyReq);
        stripRequestHopByHop(proxyReq, req.headers, false);
        this.armTimeouts(proxyReq, socket);
        // http-proxy waits for the request's 'aborted' event, which Node no longer emits once the
        // request has arrived: a browser closing a slow or endless response (SSE, a download) would
        // leave the notebook's connection open for ever. http-proxy-3 does this itself.
        if (library === 'http-proxy') res.once('close', () => res.writableFinished || proxyReq.destroy());
      },
    );
    proxy.on(
      'proxyReqWs',
      (proxyReq: http.ClientRequest, req: http.IncomingMessage, socket: Duplex, o: RouteOptions) => {
        if (o.userRoute) stripSessionCookie(proxyReq);
        stripRequestHopByHop(proxyReq, req.headers, true);
        this.armTimeouts(proxyReq, undefined);
        // When the notebook's side of a websocket closes, both libraries only half-close the
        // browser's side and unpipe it, which pauses it: bytes the browser sends after that (its
        // close frame) are never read, so its FIN is never seen and the socket stays open for ever
        // (found under load; dead-target test). Close it once what we wrote has gone out.
        proxyReq.once('upgrade', (_res: unknown, proxySocket: Socket) =>
          proxySocket.once('close', () => closeWhenFlushed(socket)),
        );
      },
    );
    // Before the libraries copy the target's headers to the browser (both emit this first).
    proxy.on('proxyRes', stripResponseHopByHop);
    if (this.options.onWsOpen) proxy.on('open', this.options.onWsOpen);
    return proxy;
  }

  private optionsFor(route: Route): RouteOptions {
    let o = this.perRoute.get(route);
    if (!o) {
      const secure = route.targetUrl.protocol === 'https:';
      o = {
        target: route.targetUrl,
        agent: secure ? this.httpsAgent : this.httpAgent,
        userRoute: route.kind === 'user',
      };
      this.perRoute.set(route, o);
    }
    return o;
  }

  /**
   * Connect timeout and time-to-headers timeout on one outgoing request. Destroying the request
   * with an ETIMEDOUT error routes it through the library's normal error path (→ 503).
   */
  private armTimeouts(proxyReq: http.ClientRequest, socket: Socket | undefined): void {
    const arm = (s: Socket): void => {
      if (s.connecting && this.connectTimeoutMs > 0) {
        const t = setTimeout(() => proxyReq.destroy(timeoutError('connect timeout')), this.connectTimeoutMs);
        s.once('connect', () => clearTimeout(t));
        s.once('close', () => clearTimeout(t));
      }
    };
    if (socket) arm(socket);
    else if (proxyReq.socket) arm(proxyReq.socket as Socket);
    else proxyReq.once('socket', arm);

    if (this.responseTimeoutMs > 0) {
      const t = setTimeout(() => proxyReq.destroy(timeoutError('no response from target')), this.responseTimeoutMs);
      const clear = (): void => clearTimeout(t);
      proxyReq.once('response', clear);
      proxyReq.once('upgrade', clear);
      proxyReq.once('close', clear);
    }
  }
}

/** Destroys a socket once what was written to it has gone out (1 s at most). */
function closeWhenFlushed(socket: Duplex): void {
  if (socket.destroyed) return;
  if (socket.writableFinished) {
    socket.destroy();
    return;
  }
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('finish', () => {
    clearTimeout(timer);
    socket.destroy();
  });
  socket.once('close', () => clearTimeout(timer));
  if (!socket.writableEnded) socket.end();
}

/** Options handed to the library per route (built once per route), and seen again in its events. */
interface RouteOptions {
  target: URL;
  agent: http.Agent;
  /** A notebook: the hub session cookie is never forwarded to it. */
  userRoute: boolean;
}

/** The hub session never reaches a notebook (see hub-cookie.ts). */
function stripSessionCookie(proxyReq: http.ClientRequest): void {
  const cookie = proxyReq.getHeader('cookie');
  if (cookie === undefined) return;
  const text = Array.isArray(cookie) ? cookie.join('; ') : String(cookie);
  const kept = withoutSessionCookie(text);
  if (kept === text) return;
  if (kept) proxyReq.setHeader('cookie', kept);
  else proxyReq.removeHeader('cookie');
}

/** `sent`: the client's headers, which the outgoing request copied (a cheap look before each removal). */
function stripRequestHopByHop(proxyReq: http.ClientRequest, sent: http.IncomingHttpHeaders, websocket: boolean): void {
  const named = connectionOptions(sent.connection);
  if (named) {
    for (const name of named) if (name && name !== 'upgrade' && !keepNamed(name)) proxyReq.removeHeader(name);
  }
  for (const name of REQUEST_HOP_BY_HOP) if (sent[name] !== undefined) proxyReq.removeHeader(name);
  if (websocket) proxyReq.setHeader('connection', 'Upgrade');
  else if (sent.upgrade !== undefined) proxyReq.removeHeader('upgrade');
}

function stripResponseHopByHop(proxyRes: http.IncomingMessage, _req: unknown, res: unknown): void {
  if (!(res instanceof http.ServerResponse)) return;
  const headers = proxyRes.headers;
  const named = connectionOptions(headers.connection);
  if (named) for (const name of named) if (name && !keepNamed(name)) delete headers[name];
  for (const name of RESPONSE_HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
  // The browser's connection is the proxy's: keep it open or close it as its own request asked
  // (both libraries would otherwise copy the browser's Connection header into the response).
  headers.connection = res.shouldKeepAlive ? 'keep-alive' : 'close';
}
