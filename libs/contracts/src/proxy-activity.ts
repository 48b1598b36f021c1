import { z } from 'zod';
import { parseWith } from './contract-error';

/** One route's latest proxied request; `lastActivity` in epoch milliseconds. */
export const ProxyActivityRecord = z.object({
  routeSpec: z.string().regex(/^\/user\/[^/]+\/([^/]+\/)?$/, 'routeSpec: /user/<name>/[<server>/]'),
  spawnId: z.string().min(1),
  lastActivity: z.number().int().min(0),
});
export type ProxyActivityRecord = z.infer<typeof ProxyActivityRecord>;

export const ProxyActivityBatch = z.array(ProxyActivityRecord).max(100_000);

export function parseProxyActivityBatch(value: unknown): ProxyActivityRecord[] {
  return parseWith(ProxyActivityBatch, value, 'proxy activity batch');
}

/** The user and server name a route spec belongs to. */
export function routeSpecOwner(routeSpec: string): { user: string; serverName: string } {
  const [, , user, serverName = ''] = routeSpec.split('/');
  return { user: decodeURIComponent(user), serverName: decodeURIComponent(serverName) };
}
