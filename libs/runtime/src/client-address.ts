import net from 'node:net';

/** `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) is 10.0.0.5. */
export function normaliseAddress(address: string | undefined): string {
  const a = (address ?? '').trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  return mapped ? mapped[1] : a.toLowerCase();
}

/** Whether an address is one of condorhub's own proxies (CONDORHUB_TRUSTED_PROXIES). */
export type TrustedProxies = (address: string) => boolean;

/** A matcher for addresses and CIDR blocks (`10.1.0.0/16`, `fd00::/8`). */
export function trustedSet(entries: readonly string[], setting = 'CONDORHUB_TRUSTED_PROXIES'): TrustedProxies {
  const list = new net.BlockList();
  for (const entry of entries) {
    const [ip, bits] = entry.split('/');
    const a = normaliseAddress(ip);
    const family = net.isIP(a) === 6 ? 'ipv6' : 'ipv4';
    if (!net.isIP(a)) throw new Error(`${setting}: ${JSON.stringify(entry)} is not an address or CIDR block`);
    if (bits === undefined) list.addAddress(a, family);
    else list.addSubnet(a, Number(bits), family);
  }
  return (address) => net.isIP(address) !== 0 && list.check(address, net.isIP(address) === 6 ? 'ipv6' : 'ipv4');
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
  trustedProxies: readonly string[] | TrustedProxies,
): string {
  const trusted = typeof trustedProxies === 'function' ? trustedProxies : trustedSet(trustedProxies);
  let address = normaliseAddress(socketAddress);
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? ''))
    .split(',')
    .map((h) => normaliseAddress(h))
    .filter(Boolean);
  while (trusted(address) && hops.length) {
    const next = hops.pop()!;
    if (!net.isIP(next)) break; // a header we cannot read: stop at the last address we can vouch for
    address = next;
  }
  return address;
}
