/**
 * Routes from configuration, not from events: the hub, and the port-registry endpoints that
 * notebooks and launchers call. `/` itself is answered with a redirect to /hub/ by the server.
 */
import type { RouteInput } from './route-table';

export interface StaticRoutesConfig {
  /** e.g. http://127.0.0.1:8081 */
  hubUrl: string;
  /** e.g. http://127.0.0.1:8082; defaults to hubUrl when port-registry runs inside the hub process. */
  portRegistryUrl?: string;
}

export function staticRoutes(config: StaticRoutesConfig): RouteInput[] {
  const registry = config.portRegistryUrl ?? config.hubUrl;
  const r = (routeSpec: string, target: string): RouteInput => ({
    routeSpec,
    target,
    spawnId: 'static',
    owner: '',
    serverName: '',
    generation: 0,
    kind: 'static',
  });
  return [
    r('/hub/', config.hubUrl),
    r('/hub/api/batchspawner/', registry),
    r('/hub/api/condorhub/launcher/', registry),
  ];
}
