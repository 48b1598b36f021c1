/**
 * Prometheus metrics, hand-written: plain counters in memory, rendered in the text exposition
 * format on scrape. Recording is a few integer increments per request.
 */

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
const CLASSES: StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export type ErrorReason =
  'target-refused' | 'target-timeout' | 'target-reset' | 'target-other' | 'no-route' | 'refused-access' | 'bad-request';

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

  render(): string {
    const out: string[] = [];
    out.push('# HELP condorhub_proxy_requests_total HTTP responses sent by the proxy, by status class.');
    out.push('# TYPE condorhub_proxy_requests_total counter');
    CLASSES.forEach((c, i) => out.push(`condorhub_proxy_requests_total{code="${c}"} ${this.requests[i]}`));
    out.push('# HELP condorhub_proxy_errors_total Requests the proxy could not forward, by reason.');
    out.push('# TYPE condorhub_proxy_errors_total counter');
    for (const [reason, n] of this.errors) out.push(`condorhub_proxy_errors_total{reason="${reason}"} ${n}`);
    out.push('# HELP condorhub_proxy_websocket_upgrades_total Websocket upgrade requests received.');
    out.push('# TYPE condorhub_proxy_websocket_upgrades_total counter');
    out.push(`condorhub_proxy_websocket_upgrades_total ${this.websocketUpgrades}`);
    out.push('# HELP condorhub_proxy_websockets_open Websockets currently proxied.');
    out.push('# TYPE condorhub_proxy_websockets_open gauge');
    out.push(`condorhub_proxy_websockets_open ${this.websocketsOpen}`);
    out.push('# HELP condorhub_proxy_open_sockets Client connections plus upstream websocket sockets held open.');
    out.push('# TYPE condorhub_proxy_open_sockets gauge');
    out.push(`condorhub_proxy_open_sockets ${this.openSockets}`);
    out.push('# HELP condorhub_proxy_routes Routes in the table, static routes included.');
    out.push('# TYPE condorhub_proxy_routes gauge');
    out.push(`condorhub_proxy_routes ${this.gauges.routes()}`);
    if (this.gauges.activityPending) {
      out.push('# HELP condorhub_proxy_activity_pending Routes with activity not yet flushed.');
      out.push('# TYPE condorhub_proxy_activity_pending gauge');
      out.push(`condorhub_proxy_activity_pending ${this.gauges.activityPending()}`);
    }
    out.push(
      '# HELP condorhub_proxy_request_duration_seconds Time from request to response finish, as seen by the proxy.',
    );
    out.push('# TYPE condorhub_proxy_request_duration_seconds histogram');
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += this.buckets[i];
      out.push(`condorhub_proxy_request_duration_seconds_bucket{le="${le}"} ${cumulative}`);
    });
    out.push(`condorhub_proxy_request_duration_seconds_bucket{le="+Inf"} ${this.latencyCount}`);
    out.push(`condorhub_proxy_request_duration_seconds_sum ${this.latencySum}`);
    out.push(`condorhub_proxy_request_duration_seconds_count ${this.latencyCount}`);
    return out.join('\n') + '\n';
  }
}
