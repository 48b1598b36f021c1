/**
 * condorhub's proxy as a separate process for the benchmark ('default' libraries, or one library
 * on both paths): listens on an ephemeral port, loads the routes the parent sends, answers { gc }
 * requests (run with --expose-gc) so RSS samples reflect retained memory rather than garbage.
 */
import { ProxyServer } from '../../apps/proxy/src/proxy-server';
import type { ForwardingLibrary } from '../../apps/proxy/src/forwarding/forwarder';
import type { RouteInput } from '../../apps/proxy/src/routing/route-table';

const [library, hubUrl, secret] = process.argv.slice(2) as [ForwardingLibrary | 'default', string, string];

async function main(): Promise<void> {
  const proxy = new ProxyServer({
    port: 0,
    hubUrl,
    cookieSecret: secret,
    library: library === 'default' ? undefined : library,
    adminToken: 'bench-admin-token',
  });
  await proxy.start();
  process.on('message', (msg: { routes?: RouteInput[]; gc?: boolean; id?: number }) => {
    if (msg.routes) {
      const results = msg.routes.map((r) => proxy.routes.set(r));
      process.send!({ id: msg.id, added: results.filter((r) => r.applied).length });
    } else if (msg.gc) {
      (globalThis as { gc?: () => void }).gc?.();
      process.send!({
        id: msg.id,
        errors: Object.fromEntries(proxy.metrics.errors),
        rss: process.memoryUsage().rss,
        openSockets: proxy.metrics.openSockets,
        websocketsOpen: proxy.metrics.websocketsOpen,
      });
    }
  });
  process.send!({ ready: true, port: proxy.port });
}

process.on('disconnect', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
void main();
