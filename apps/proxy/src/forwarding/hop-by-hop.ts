/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection and end at the proxy: the
 * client's Keep-Alive or Connection options must not steer the proxy's pooled connection to a
 * target, nor the target's steer the browser's. Transfer-Encoding stays on requests: Node frames
 * the outgoing body from it (removing it would send a chunked GET body unframed).
 */
export const REQUEST_HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
];
// Connection itself is overwritten by the proxy rather than deleted.
export const RESPONSE_HOP_BY_HOP = [
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** Headers a Connection header may not remove: the proxy's own. */
export const keepNamed = (name: string): boolean => name === 'host' || name.startsWith('x-forwarded-');

/** Header names a Connection header lists (lower case), or undefined when it lists none but itself. */
export function connectionOptions(value: string | string[] | undefined): string[] | undefined {
  if (!value) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  // The usual values name no other header: nothing to split.
  if (text === 'keep-alive' || text === 'close' || text === 'Keep-Alive' || text === 'Upgrade') return undefined;
  return text.split(',').map((t) => t.trim().toLowerCase());
}
