/**
 * GET /metrics (Prometheus text), /health (liveness: the process answers) and /ready
 * (readiness: every registered check passes) for any node:http server, and a small listener
 * of its own for the services that serve no HTTP otherwise (spawner, condor-poller, projector).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from './metrics';
import { checkReadiness, readyTimeout } from './readiness';

const startedAt = Date.now();
/** Other Prometheus text shown on this process's /metrics (the proxy's own figures in `npm start`). */
const extraTexts = new Map<string, () => string>();

/**
 * Adds `render` to this process's /metrics under `key`; returns the removal. A second source
 * of one key is left out (two proxies in one test process would repeat every name).
 */
export function addMetricsText(key: string, render: () => string): () => void {
  if (extraTexts.has(key)) return () => undefined;
  extraTexts.set(key, render);
  return () => {
    if (extraTexts.get(key) === render) extraTexts.delete(key);
  };
}

/** Everything this process exports, in the text exposition format. */
export async function renderMetrics(options: { extras?: boolean } = {}): Promise<string> {
  let text = await metricsRegistry.metrics();
  if (options.extras !== false) for (const render of extraTexts.values()) text += render();
  return text;
}

function send(res: http.ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

const json = (res: http.ServerResponse, status: number, body: unknown) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

/** Answers /metrics, /health or /ready and returns true; false for any other request. */
export function handleOpsRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  options: { metrics?: boolean; extras?: boolean } = {},
): boolean {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (path === '/health') {
    json(res, 200, { status: 'ok', pid: process.pid, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) });
    return true;
  }
  if (path === '/ready') {
    checkReadiness(readyTimeout()).then(
      (r) => json(res, r.status === 'ready' ? 200 : 503, r),
      (e) => json(res, 503, { status: 'not ready', error: String(e) }),
    );
    return true;
  }
  if (path === '/metrics' && options.metrics !== false) {
    renderMetrics({ extras: options.extras }).then(
      (text) => send(res, 200, metricsRegistry.contentType, text),
      (e) => send(res, 500, 'text/plain; charset=utf-8', `metrics failed: ${String(e)}\n`),
    );
    return true;
  }
  return false;
}

export interface OpsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** One listener per port and process, shared by the services that ask for the same port. */
const listeners = new Map<string, { server: http.Server; users: number; ready: Promise<void> }>();

/** Serves /metrics, /health and /ready on `host:port`; port 0 = nothing served. */
export async function startOpsServer(port: number, host = '127.0.0.1'): Promise<OpsServer | undefined> {
  if (!port) return undefined;
  const key = `${host}:${port}`;
  let entry = listeners.get(key);
  if (!entry) {
    const server = http.createServer((req, res) => {
      if (!handleOpsRequest(req, res))
        json(res, 404, { status: 404, message: 'only /metrics, /health and /ready here' });
    });
    server.keepAliveTimeout = 5_000;
    const ready = new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    entry = { server, users: 0, ready };
    listeners.set(key, entry);
    ready.catch(() => listeners.delete(key));
  }
  const e = entry;
  e.users++;
  try {
    await e.ready;
  } catch (error) {
    e.users--;
    throw new Error(`metrics listener on ${key}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let closed = false;
  return {
    port: (e.server.address() as AddressInfo).port,
    async close() {
      if (closed) return;
      closed = true;
      if (--e.users > 0) return;
      listeners.delete(key);
      e.server.closeAllConnections();
      await new Promise<void>((resolve) => e.server.close(() => resolve()));
    },
  };
}
