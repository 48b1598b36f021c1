/**
 * last_activity per route, kept in memory and flushed in batches: the request path only stores
 * a timestamp (no write, no event per request); a timer hands the changed routes to a callback
 * (which will append/publish activity for idle culling).
 */
import type { Route } from '../routing/route-table';

export interface ActivityRecord {
  routeSpec: string;
  spawnId: string;
  /** Epoch milliseconds. */
  lastActivity: number;
}

export type ActivitySink = (batch: ActivityRecord[]) => void | Promise<void>;

export class ActivityTracker {
  // Keyed by the route object: a replaced route (new spawn) gets its own entry.
  private pending = new Map<Route, number>();
  private readonly last = new WeakMap<Route, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly sink: ActivitySink | undefined,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  touch(route: Route): void {
    const t = this.now();
    this.pending.set(route, t);
    this.last.set(route, t);
  }

  lastActivity(route: Route): number | undefined {
    return this.last.get(route);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  start(): void {
    if (this.timer || !this.sink) return;
    this.timer = setInterval(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Hands the pending batch to the sink; a failing sink loses nothing (entries are merged back). */
  async flush(): Promise<void> {
    if (!this.sink || this.pending.size === 0) return;
    if (this.flushing) return this.flushing;
    const taken = this.pending;
    this.pending = new Map();
    const batch: ActivityRecord[] = [];
    for (const [route, lastActivity] of taken) {
      batch.push({ routeSpec: route.routeSpec, spawnId: route.spawnId, lastActivity });
    }
    this.flushing = (async () => {
      try {
        await this.sink!(batch);
      } catch {
        for (const [route, t] of taken) if (!this.pending.has(route)) this.pending.set(route, t);
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
