import { ProxyServer, type ProxyServerOptions } from '../proxy-server';
import { type Backend, TEST_SECRET, startBackend } from './test-backends';

/** A route to set: `user` or `user/server`, with its spawn id (default s1, s2, …) and target. */
export type TestRoute = string | { server: string; spawnId?: string; target?: string };

export interface TestProxy {
  proxy: ProxyServer;
  /**
   * The stand-in backends by name: `hub` (unless a hubUrl was given), `registry` when asked,
   * and one per route without its own target, named `alice` or `alice-gpu`.
   */
  backends: Record<string, Backend>;
  close(): Promise<void>;
}

/**
 * A started proxy in front of stand-in backends, with its routes set (generation = position):
 * what most proxy integration tests begin with. `options` are passed to ProxyServer as they are.
 */
export async function startTestProxy(
  opts: { routes?: TestRoute[]; registry?: boolean; options?: Partial<ProxyServerOptions> } = {},
): Promise<TestProxy> {
  const routes = (opts.routes ?? []).map((r, i) => {
    const { server, spawnId = `s${i + 1}`, target } = typeof r === 'string' ? { server: r } : r;
    const [owner, serverName = ''] = server.split('/');
    return { owner, serverName, spawnId, target, backend: serverName ? `${owner}-${serverName}` : owner };
  });
  const names = [
    ...(opts.options?.hubUrl ? [] : ['hub']),
    ...(opts.registry ? ['registry'] : []),
    ...routes.filter((r) => !r.target).map((r) => r.backend),
  ];
  const backends: Record<string, Backend> = {};
  let proxy: ProxyServer | undefined;
  const close = async () => {
    await proxy?.stop();
    await Promise.all(Object.values(backends).map((b) => b.close()));
  };
  try {
    for (const b of await Promise.all(names.map((n) => startBackend(n)))) backends[b.name] = b;
    proxy = new ProxyServer({
      port: 0,
      hubUrl: backends.hub?.url,
      portRegistryUrl: backends.registry?.url,
      cookieSecret: TEST_SECRET,
      ...opts.options,
    } as ProxyServerOptions);
    await proxy.start();
    routes.forEach((r, i) =>
      proxy!.routes.set({
        routeSpec: r.serverName ? `/user/${r.owner}/${r.serverName}/` : `/user/${r.owner}/`,
        target: r.target ?? backends[r.backend].url,
        spawnId: r.spawnId,
        owner: r.owner,
        serverName: r.serverName,
        generation: i + 1,
      }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { proxy, backends, close };
}
