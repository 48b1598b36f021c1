/**
 * condorhub's public entry point: a raw node:http server (no framework on the hot path) that
 * routes by longest prefix, checks ownership locally, forwards HTTP and websockets, and answers
 * dead or missing notebooks itself. All state is per instance (no module globals), so replicas
 * built from the same events serve identically.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { ActivityTracker, type ActivitySink } from './activity/activity-tracker';
import { RoutesApi } from './api/routes-api';
import {
  rejectUpgrade,
  sendBadRequest,
  sendJson,
  sendNotFound,
  sendRefusal,
  sendServerUnavailable,
} from './dead-target/responses';
import { Forwarder, type ForwardErrorKind, type ForwarderOptions } from './forwarding/forwarder';
import { handleOpsRequest } from '@condorhub/metrics';
import { ProxyMetrics, type ErrorReason, type MetricsSnapshot } from './metrics/proxy-metrics';
import { type AccessDecision, AccessPolicy, ownerFromPath } from './ownership/access-policy';
import { HubTokenVerifier, type HubTokenVerifierOptions } from './ownership/hub-token-verifier';
import { TargetProber, type ProbeFailure } from './probing/target-prober';
import { canonicalPath } from './routing/canonical-path';
import { RouteTable, type RemovedRoute, type Route } from './routing/route-table';
import { staticRoutes } from './routing/static-routes';

export interface ProxyServerOptions {
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Listen port; 0 for an ephemeral port. Default 8000. */
  port?: number;
  /** The hub (target of /hub/). */
  hubUrl: string;
  /** port-registry (target of /hub/api/batchspawner and /hub/api/condorhub/launcher). Default hubUrl. */
  portRegistryUrl?: string;
  /** HMAC secret of the hub session cookie (CONDORHUB_COOKIE_SECRET). */
  cookieSecret: string | Buffer;
  /** Token for GET /api/routes (CONDORHUB_ADMIN_TOKEN). Without it the API always answers 403. */
  adminToken?: string;
  /** Checking API tokens with the hub (GET /hub/api/user): cache times, timeout. */
  tokens?: HubTokenVerifierOptions;
  /** Forwarding library, for both paths or per path. Default: http-proxy for HTTP, http-proxy-3 for websockets. */
  library?: ForwarderOptions['library'];
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  /** Inbound keep-alive idle timeout. Default 5000 ms. */
  keepAliveTimeoutMs?: number;
  /** Serve Prometheus text on /metrics of the public port. Default true. */
  exposeMetrics?: boolean;
  /** What /metrics shows, from this process's snapshot (worker processes: all workers summed). */
  metricsSource?: (own: MetricsSnapshot) => Promise<MetricsSnapshot>;
  /** More Prometheus text for /metrics: the process's other metrics (its consumers, …). */
  otherMetrics?: () => Promise<string>;
  /** Called for every route leaving the table (removed, replaced, evicted with reason target-reused). */
  onRouteRemoved?: (removed: RemovedRoute) => void;
  /** Activity batches (see ActivityTracker). */
  onActivity?: ActivitySink;
  activityFlushMs?: number;
  /** Route health probes; started with the server when onUnhealthy is given. */
  probe?: {
    onUnhealthy: (route: Route, reason: ProbeFailure, detail: string) => void | Promise<void>;
    intervalMs?: number;
    timeoutMs?: number;
    failuresBeforeUnhealthy?: number;
  };
}

const ROUTE = Symbol('condorhub.route');
type TaggedRequest = http.IncomingMessage & { [ROUTE]?: Route; _chStart?: number };

export class ProxyServer {
  readonly routes: RouteTable;
  readonly metrics: ProxyMetrics;
  readonly activity: ActivityTracker;
  readonly forwarder: Forwarder;
  readonly prober: TargetProber | undefined;
  readonly tokens: HubTokenVerifier;
  private readonly access: AccessPolicy;
  private readonly routesApi: RoutesApi;
  private readonly server: http.Server;
  private readonly startedAt = Date.now();
  private readonly clientSockets = new Set<Socket>();
  /** One listener for every response's 'finish' (no closure per request): `this` is the response. */
  private readonly finished: (this: http.ServerResponse) => void;

  constructor(private readonly options: ProxyServerOptions) {
    if (!options.cookieSecret || options.cookieSecret.length < 16) {
      throw new Error('cookieSecret must be at least 16 characters (CONDORHUB_COOKIE_SECRET)');
    }
    const onFinish = this.onFinish.bind(this);
    this.finished = function (this: http.ServerResponse) {
      onFinish(this.req as TaggedRequest, this);
    };
    this.routes = new RouteTable({ onRemoved: options.onRouteRemoved });
    for (const r of staticRoutes({ hubUrl: options.hubUrl, portRegistryUrl: options.portRegistryUrl }))
      this.routes.set(r);
    this.activity = new ActivityTracker(options.onActivity, options.activityFlushMs ?? 10_000);
    this.metrics = new ProxyMetrics({
      routes: () => this.routes.size,
      activityPending: () => this.activity.pendingCount,
    });
    this.tokens = new HubTokenVerifier(options.hubUrl, options.tokens);
    this.access = new AccessPolicy(options.cookieSecret, this.tokens, options.adminToken);
    this.routesApi = new RoutesApi(this.routes, this.activity, options.adminToken);
    this.forwarder = new Forwarder({
      library: options.library,
      connectTimeoutMs: options.connectTimeoutMs,
      responseTimeoutMs: options.responseTimeoutMs,
      onWebError: (err, kind, req, res) => this.onWebError(err, kind, req as TaggedRequest, res),
      onWsError: (_err, kind, _req, socket) => {
        this.metrics.recordError(errorReason(kind));
        rejectUpgrade(socket, 503);
      },
      onWsOpen: (proxySocket) => {
        this.metrics.websocketsOpen++;
        this.metrics.upstreamWebsocketSockets++;
        proxySocket.once('close', () => {
          this.metrics.websocketsOpen--;
          this.metrics.upstreamWebsocketSockets--;
        });
      },
    });
    if (options.probe) {
      this.prober = new TargetProber({ routes: () => this.routes.all(), ...options.probe });
    }

    this.server = http.createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 5000 }, (req, res) =>
      this.onRequest(req as TaggedRequest, res),
    );
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (socket: Socket) => {
      this.clientSockets.add(socket);
      this.metrics.clientSockets++;
      socket.once('close', () => {
        this.clientSockets.delete(socket);
        this.metrics.clientSockets--;
      });
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => onClientError(err, socket));
  }

  get port(): number {
    return (this.server.address() as AddressInfo | null)?.port ?? 0;
  }

  get url(): string {
    return `http://${this.options.host ?? '127.0.0.1'}:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 8000, this.options.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.activity.start();
    this.prober?.start();
  }

  /** Stops listening, closes every client socket (websockets included) and flushes activity. */
  async stop(): Promise<void> {
    await this.prober?.stop();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.clientSockets) s.destroy();
    this.forwarder.close();
    this.tokens.close();
    await closed;
    await this.activity.stop();
  }

  health(): object {
    return {
      status: 'ok',
      // Which process answered: with CONDORHUB_PROXY_WORKERS > 1 several share the port.
      pid: process.pid,
      routes: this.routes.size,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      websocketsOpen: this.metrics.websocketsOpen,
      libraries: this.forwarder.libraries,
    };
  }

  private onRequest(req: TaggedRequest, res: http.ServerResponse): void {
    req._chStart = performance.now();
    res.on('finish', this.finished);
    const url = req.url ?? '/';

    if (url.charCodeAt(1) === 95 /* '_' */ && (url === '/_condorhub/health' || url.startsWith('/_condorhub/health?'))) {
      sendJson(res, 200, this.health());
      return;
    }
    if ((url === '/health' || url === '/ready') && handleOpsRequest(req, res)) return;
    if (url === '/metrics' && this.options.exposeMetrics !== false) {
      const send = async (m?: MetricsSnapshot): Promise<void> => {
        const others = (await this.options.otherMetrics?.().catch(() => '')) ?? '';
        const text = this.metrics.render(m) + others;
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      };
      const source = this.options.metricsSource;
      if (source) void source(this.metrics.snapshot()).then(send, () => send());
      else void send();
      return;
    }
    if (url.startsWith('/api/routes') && this.routesApi.handle(req, res)) return;
    if (url === '/' || url.startsWith('/?')) {
      res.writeHead(302, { location: '/hub/', 'content-length': 0 });
      res.end();
      return;
    }
    const path = canonicalPath(url);
    if (typeof path !== 'string') {
      this.metrics.recordError('bad-request');
      sendBadRequest(res, path.message);
      return;
    }
    // What the route is chosen on is what the target receives.
    if (path !== url) req.url = path;

    const route = this.routes.match(path);
    if (route && route.kind === 'user') {
      // The usual case (a session decides) allocates nothing; a token may have to ask the hub.
      const decision = this.access.check(req, route.owner, route.serverName);
      if (decision === 'allow') this.forwardToUser(req, res, route);
      else if (decision === 'refuse') this.refuse(req, res);
      else
        void decision.then((d) => {
          // The browser may have given up while the hub was asked.
          if (res.destroyed || res.writableEnded) return;
          if (d === 'allow') this.forwardToUser(req, res, route);
          else this.refuse(req, res);
        });
      return;
    }
    if (!route || route.routeSpec === '/') {
      const owner = ownerFromPath(path);
      if (owner === undefined) {
        this.metrics.recordError('no-route');
        sendNotFound(req, res);
        return;
      }
      // Same rights check as for a live server, so nobody learns whether another user's server runs.
      const notRunning = (d: AccessDecision): void => {
        if (res.destroyed || res.writableEnded) return;
        if (d === 'refuse') return this.refuse(req, res);
        this.metrics.recordError('no-route');
        sendServerUnavailable(req, res, { owner, serverName: serverNameFromPath(path) }, 'not-running');
      };
      const decision = this.access.check(req, owner);
      if (typeof decision === 'string') notRunning(decision);
      else void decision.then(notRunning);
      return;
    }
    req[ROUTE] = route;
    this.forwarder.web(route, req, res);
  }

  private forwardToUser(req: TaggedRequest, res: http.ServerResponse, route: Route): void {
    req[ROUTE] = route;
    this.forwarder.web(route, req, res);
  }

  private refuse(req: TaggedRequest, res: http.ServerResponse): void {
    this.metrics.recordError('refused-access');
    sendRefusal(req, res);
  }

  private onFinish(req: TaggedRequest, res: http.ServerResponse): void {
    const status = res.statusCode;
    this.metrics.recordResponse(status, (performance.now() - (req._chStart ?? 0)) / 1000);
    const route = req[ROUTE];
    // As CHP: only successful proxied requests count as activity (redirects and errors do not).
    if (route && route.kind === 'user' && status < 300) this.activity.touch(route);
  }

  private onWebError(
    _err: NodeJS.ErrnoException,
    kind: ForwardErrorKind,
    req: TaggedRequest,
    res: http.ServerResponse,
  ): void {
    this.metrics.recordError(errorReason(kind));
    const route = req[ROUTE];
    if (!route || route.kind === 'static') {
      if (res.headersSent) res.destroy();
      else sendJson(res, 503, { status: 503, message: 'The hub is not responding. Try again in a moment.' });
      return;
    }
    sendServerUnavailable(req, res, route, 'unreachable');
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    this.metrics.websocketUpgrades++;
    // A socket error after we are done with it must never crash the process.
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const path = canonicalPath(url);
    if (typeof path !== 'string') {
      this.metrics.recordError('bad-request');
      rejectUpgrade(socket, 400);
      return;
    }
    if (path !== url) req.url = path;
    const route = this.routes.match(path);
    if (!route || route.routeSpec === '/') {
      const owner = ownerFromPath(path);
      this.metrics.recordError('no-route');
      if (owner === undefined) {
        rejectUpgrade(socket, 404);
        return;
      }
      // 503 to whoever may reach the owner's servers, 403 to others: the same as for a live one.
      const decision = this.access.check(req, owner);
      if (typeof decision === 'string') rejectUpgrade(socket, decision === 'allow' ? 503 : 403);
      else void decision.then((d) => rejectUpgrade(socket, d === 'allow' ? 503 : 403));
      return;
    }
    if (route.kind !== 'user') {
      this.forwarder.ws(route, req, socket, head);
      return;
    }
    const decision = this.access.check(req, route.owner, route.serverName);
    if (typeof decision === 'string') this.upgradeUser(req, socket, head, route, decision);
    else void decision.then((d) => socket.destroyed || this.upgradeUser(req, socket, head, route, d));
  }

  private upgradeUser(req: http.IncomingMessage, socket: Duplex, head: Buffer, route: Route, d: AccessDecision): void {
    if (d === 'refuse') {
      this.metrics.recordError('refused-access');
      rejectUpgrade(socket, 403);
      return;
    }
    // Websocket traffic is activity: one timestamp per chunk from the browser, no I/O. Listen only
    // once the forwarder pipes the socket ('resume'), so no early frame is consumed before the pipe.
    socket.once('resume', () => {
      this.activity.touch(route);
      socket.on('data', () => this.activity.touch(route));
    });
    this.forwarder.ws(route, req, socket, head);
  }
}

const CLIENT_ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout'],
};

/**
 * A request Node could not parse. The status line goes out only on a socket with no response in
 * flight: with one (a pipelined request behind a stream, a download), "HTTP/1.1 400" written
 * now would land inside that response, or be read as the answer to the request before it.
 * Such a socket is closed instead, as is one the client already reset.
 */
function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (err.code !== 'ECONNRESET' && socket.writable && !inFlight) {
    const [status, reason] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request'];
    const body = JSON.stringify({ status, message: `${reason}: the request could not be read as HTTP` });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

function errorReason(kind: ForwardErrorKind): ErrorReason {
  return kind === 'refused'
    ? 'target-refused'
    : kind === 'timeout'
      ? 'target-timeout'
      : kind === 'reset'
        ? 'target-reset'
        : 'target-other';
}

/** /user/<name>/<server>/… → <server> is only known from a route; without one we assume the default server. */
function serverNameFromPath(_url: string): string {
  return '';
}
