import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { IncomingMessage } from 'node:http';

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

/** Addresses (or CIDR ranges) as a BlockList; throws naming `setting` on a bad entry. */
export function addressList(entries: string[], setting: string): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/');
    const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : undefined;
    if (!type) throw new Error(`${setting}: '${entry}' is not an IP address or CIDR range`);
    if (bits === undefined) list.addAddress(addr, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (type === 'ipv4' ? 32 : 128)) {
        throw new Error(`${setting}: '${entry}' has a bad prefix length`);
      }
      list.addSubnet(addr, prefix, type);
    }
  }
  return list;
}

const plain = (a: string) => (a.startsWith('::ffff:') && isIPv4(a.slice(7)) ? a.slice(7) : a);
const inList = (list: BlockList, a: string) =>
  isIPv4(a) ? list.check(a, 'ipv4') : isIPv6(a) ? list.check(a, 'ipv6') : false;

/**
 * The client's address: the peer, or, when the peer is a trusted proxy (condorhub's own, which
 * appends the address it was reached from), the last X-Forwarded-For hop. Earlier hops are the
 * client's own words.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: BlockList): string {
  const peer = plain(req.socket.remoteAddress ?? '');
  if (!inList(trustedProxies, peer)) return peer;
  const hops = String(req.headers['x-forwarded-for'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const last = hops.length ? plain(hops[hops.length - 1]) : '';
  return isIPv4(last) || isIPv6(last) ? last : peer;
}
