/**
 * Route health: does the route's target answer /user/<owner>/[<server>/]api, and is it the
 * owner's server? Jupyter answers that path with {"version": …} only, so "someone else's
 * server" shows as a 404 or a redirect to another /user/<name>/ prefix.
 * The prober reports; it never removes routes itself (the callback appends events).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Route } from '../routing/route-table';

export type ProbeFailure = 'unreachable' | 'timeout' | 'server-error' | 'wrong-owner';

export type ProbeResult =
  { healthy: true; status: number } | { healthy: false; reason: ProbeFailure; status?: number; detail: string };

export interface ProbeOptions {
  timeoutMs?: number;
}

const MAX_BODY = 64 * 1024;

export function probeTarget(route: Route, options: ProbeOptions = {}): Promise<ProbeResult> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const url = new URL(`${route.routeSpec}api`, route.target);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise<ProbeResult>((resolve) => {
    let done = false;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(r);
    };
    const req = lib.get(url, { agent: false, headers: { accept: 'application/json' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 500) return finish({ healthy: false, reason: 'server-error', status, detail: `status ${status}` });
      if (status === 404) {
        return finish({
          healthy: false,
          reason: 'wrong-owner',
          status,
          detail: `${url.pathname} not served by target`,
        });
      }
      if (status >= 300 && status < 400) {
        const location = res.headers.location ?? '';
        const path = location ? new URL(location, url).pathname : '';
        if (path.startsWith('/user/') && !path.startsWith(route.routeSpec)) {
          return finish({ healthy: false, reason: 'wrong-owner', status, detail: `redirects to ${path}` });
        }
        return finish({ healthy: true, status });
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      res.on('end', () => {
        // If a server does say whose it is, believe it.
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          const who = typeof body.user === 'string' ? body.user : typeof body.name === 'string' ? body.name : undefined;
          if (who !== undefined && who !== route.owner) {
            return finish({ healthy: false, reason: 'wrong-owner', status, detail: `answers for ${who}` });
          }
        } catch {
          // not JSON: the status decides
        }
        finish({ healthy: true, status });
      });
      res.on('error', (e) => finish({ healthy: false, reason: 'unreachable', detail: e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) =>
      finish({
        healthy: false,
        reason: e.code === 'ETIMEDOUT' ? 'timeout' : 'unreachable',
        detail: e.code ?? e.message,
      }),
    );
    const timer = setTimeout(
      () => finish({ healthy: false, reason: 'timeout', detail: `no answer in ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
}

export interface TargetProberOptions {
  routes: () => Route[];
  onUnhealthy: (route: Route, reason: ProbeFailure, detail: string) => void | Promise<void>;
  /** Default 180000 ms (every 3 minutes). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Consecutive failed probes before onUnhealthy. Default 3. "wrong-owner" reports at once. */
  failuresBeforeUnhealthy?: number;
  /** Probes in flight at once. Default 16. */
  concurrency?: number;
  probe?: (route: Route, options: ProbeOptions) => Promise<ProbeResult>;
}

export class TargetProber {
  private readonly failures = new WeakMap<Route, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: TargetProberOptions) {}

  start(): void {
    this.stopped = false;
    void this.runOnce();
    this.timer = setInterval(() => void this.runOnce(), this.options.intervalMs ?? 180_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round over every user route; overlapping rounds are merged. */
  runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<void> {
    const queue = this.options.routes().filter((r) => r.kind === 'user');
    const probe = this.options.probe ?? probeTarget;
    const threshold = this.options.failuresBeforeUnhealthy ?? 3;
    const worker = async (): Promise<void> => {
      for (let route = queue.shift(); route && !this.stopped; route = queue.shift()) {
        const result = await probe(route, { timeoutMs: this.options.timeoutMs });
        if (result.healthy) {
          this.failures.delete(route);
          continue;
        }
        const n = (this.failures.get(route) ?? 0) + 1;
        if (result.reason === 'wrong-owner' || n >= threshold) {
          this.failures.delete(route);
          try {
            await this.options.onUnhealthy(route, result.reason, result.detail);
          } catch {
            // the callback's failure must not stop the round; next round reports again
          }
        } else {
          this.failures.set(route, n);
        }
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency ?? 16 }, worker));
  }
}
