import net from 'node:net';

/** `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) is 10.0.0.5. */
export function normaliseAddress(address: string | undefined): string {
  const a = (address ?? '').trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped ? mapped[1] : a.toLowerCase();
}

/**
 * The address a request really came from. Launchers reach the registry through the proxy, so
 * the socket's peer is the proxy; the proxy appends the address it saw to X-Forwarded-For. Only
 * a peer in `trustedProxies` (CONDORHUB_TRUSTED_PROXIES) is believed, and of its header only
 * the entries appended by trusted proxies, read from the right: anything further left was
 * written by the client and proves nothing.
 */
export function clientAddress(
  socketAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: readonly string[],
): string {
  const trusted = new Set(trustedProxies.map(normaliseAddress));
  let address = normaliseAddress(socketAddress);
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((h) => normaliseAddress(h))
    .filter(Boolean);
  while (trusted.has(address) && hops.length) {
    const next = hops.pop()!;
    if (!net.isIP(next)) break; // a header we cannot read: stop at the last address we can vouch for
    address = next;
  }
  return address;
}
