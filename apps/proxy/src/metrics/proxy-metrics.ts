/**
 * Prometheus metrics, hand-written: plain counters in memory, rendered in the text exposition
 * format on scrape. Recording is a few integer increments per request.
 */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
const CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export type ErrorReason =
  'target-refused' | 'target-timeout' | 'target-reset' | 'target-other' | 'no-route' | 'refused-access' | 'bad-request';

/** Everything /metrics shows, as plain data: what a worker sends its primary to be summed. */
export interface MetricsSnapshot {
  requests: number[];
  errors: Record<string, number>;
  buckets: number[];
  latencyCount: number;
  latencySum: number;
  websocketUpgrades: number;
  websocketsOpen: number;
  openSockets: number;
  routes: number;
  activityPending?: number;
}

/** Several workers' snapshots as one proxy's: counts add up; every worker holds the same routes. */
export function mergeSnapshots(all: MetricsSnapshot[]): MetricsSnapshot {
  const sum = (f: (m: MetricsSnapshot) => number) => all.reduce((a, m) => a + f(m), 0);
  const errors: Record<string, number> = {};
  for (const m of all) for (const [k, v] of Object.entries(m.errors)) errors[k] = (errors[k] ?? 0) + v;
  return {
    requests: CLASSES.map((_, i) => sum((m) => m.requests[i] ?? 0)),
    errors,
    buckets: LATENCY_BUCKETS.map((_, i) => sum((m) => m.buckets[i] ?? 0)),
    latencyCount: sum((m) => m.latencyCount),
    latencySum: sum((m) => m.latencySum),
    websocketUpgrades: sum((m) => m.websocketUpgrades),
    websocketsOpen: sum((m) => m.websocketsOpen),
    openSockets: sum((m) => m.openSockets),
    routes: Math.max(0, ...all.map((m) => m.routes)),
    activityPending: all.some((m) => m.activityPending !== undefined) ? sum((m) => m.activityPending ?? 0) : undefined,
  };
}

export class ProxyMetrics {
  private readonly requests = [0, 0, 0, 0, 0];
  readonly errors = new Map<ErrorReason, number>();
  private readonly buckets = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  private latencyCount = 0;
  private latencySum = 0;
  websocketUpgrades = 0;
  websocketsOpen = 0;
  /** Client connections open on the public server plus upstream websocket sockets. */
  clientSockets = 0;
  upstreamWebsocketSockets = 0;

  constructor(private readonly gauges: { routes: () => number; activityPending?: () => number }) {}

  get openSockets(): number {
    return this.clientSockets + this.upstreamWebsocketSockets;
  }

  recordResponse(status: number, seconds: number): void {
    const c = Math.floor(status / 100) - 1;
    if (c >= 0 && c < 5) this.requests[c]++;
    this.latencyCount++;
    this.latencySum += seconds;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) {
        this.buckets[i]++;
        break;
      }
    }
  }

  recordError(reason: ErrorReason): void {
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }

  requestsByClass(): Record<StatusClass, number> {
    return Object.fromEntries(CLASSES.map((c, i) => [c, this.requests[i]])) as Record<StatusClass, number>;
  }

  snapshot(): MetricsSnapshot {
    return {
      requests: [...this.requests],
      errors: Object.fromEntries(this.errors),
      buckets: [...this.buckets],
      latencyCount: this.latencyCount,
      latencySum: this.latencySum,
      websocketUpgrades: this.websocketUpgrades,
      websocketsOpen: this.websocketsOpen,
      openSockets: this.openSockets,
      routes: this.gauges.routes(),
      activityPending: this.gauges.activityPending?.(),
    };
  }

  /** Prometheus text of this process, or of `m` (several workers merged). */
  render(m: MetricsSnapshot = this.snapshot()): string {
    const out: string[] = [];
    out.push('# HELP condorhub_proxy_requests_total HTTP responses sent by the proxy, by status class.');
    out.push('# TYPE condorhub_proxy_requests_total counter');
    CLASSES.forEach((c, i) => out.push(`condorhub_proxy_requests_total{code="${c}"} ${m.requests[i]}`));
    out.push('# HELP condorhub_proxy_errors_total Requests the proxy could not forward, by reason.');
    out.push('# TYPE condorhub_proxy_errors_total counter');
    for (const [reason, n] of Object.entries(m.errors))
      out.push(`condorhub_proxy_errors_total{reason="${reason}"} ${n}`);
    out.push('# HELP condorhub_proxy_websocket_upgrades_total Websocket upgrade requests received.');
    out.push('# TYPE condorhub_proxy_websocket_upgrades_total counter');
    out.push(`condorhub_proxy_websocket_upgrades_total ${m.websocketUpgrades}`);
    out.push('# HELP condorhub_proxy_websockets_open Websockets currently proxied.');
    out.push('# TYPE condorhub_proxy_websockets_open gauge');
    out.push(`condorhub_proxy_websockets_open ${m.websocketsOpen}`);
    out.push('# HELP condorhub_proxy_open_sockets Client connections plus upstream websocket sockets held open.');
    out.push('# TYPE condorhub_proxy_open_sockets gauge');
    out.push(`condorhub_proxy_open_sockets ${m.openSockets}`);
    out.push('# HELP condorhub_proxy_routes Routes in the table, static routes included.');
    out.push('# TYPE condorhub_proxy_routes gauge');
    out.push(`condorhub_proxy_routes ${m.routes}`);
    if (m.activityPending !== undefined) {
      out.push('# HELP condorhub_proxy_activity_pending Routes with activity not yet flushed.');
      out.push('# TYPE condorhub_proxy_activity_pending gauge');
      out.push(`condorhub_proxy_activity_pending ${m.activityPending}`);
    }
    out.push(
      '# HELP condorhub_proxy_request_duration_seconds Time from request to response finish, as seen by the proxy.',
    );
    out.push('# TYPE condorhub_proxy_request_duration_seconds histogram');
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += m.buckets[i];
      out.push(`condorhub_proxy_request_duration_seconds_bucket{le="${le}"} ${cumulative}`);
    });
    out.push(`condorhub_proxy_request_duration_seconds_bucket{le="+Inf"} ${m.latencyCount}`);
    out.push(`condorhub_proxy_request_duration_seconds_sum ${m.latencySum}`);
    out.push(`condorhub_proxy_request_duration_seconds_count ${m.latencyCount}`);
    return out.join('\n') + '\n';
  }
}
