/**
 * Fixed-window counters per key (a client address, a user name), at most `maxKeys` of them: the
 * least recently used key goes first, so a flood of new keys (addresses, made-up names) costs
 * bounded memory while a key under attack, used on every try, stays counted.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly maxKeys = 10_000,
  ) {}

  /** Counts one attempt for `key`; over the limit, how many seconds until the window frees. */
  take(key: string, now = Date.now()): { ok: true } | { ok: false; retryAfterS: number } {
    if (this.limit <= 0) return { ok: true };
    let w = this.windows.get(key);
    if (w) this.windows.delete(key); // re-inserted below: Map order is the LRU order
    if (!w || w.resetAt <= now) w = { count: 0, resetAt: now + this.windowMs };
    this.windows.set(key, w);
    while (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
    if (w.count >= this.limit) return { ok: false, retryAfterS: Math.max(1, Math.ceil((w.resetAt - now) / 1000)) };
    w.count++;
    return { ok: true };
  }

  /** Takes back one attempt of `key` (it succeeded, and only failures should count). */
  refund(key: string): void {
    const w = this.windows.get(key);
    if (w && w.count > 0) w.count--;
  }

  get size(): number {
    return this.windows.size;
  }
}
