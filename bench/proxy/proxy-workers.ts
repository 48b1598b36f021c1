/**
 * condorhub's proxy as N processes sharing one port (node:cluster, the OS spreading accepted
 * connections). Each worker holds its own route table, fed the same routes, exactly as
 * independent replicas following the same events would: the proxy as apps/proxy/src/main.ts
 * runs it (CONDORHUB_PROXY_WORKERS), without the store and NATS.
 */
import cluster from 'node:cluster';
import { ProxyServer } from '../../apps/proxy/src/proxy-server';
import type { ForwardingLibrary } from '../../apps/proxy/src/forwarding/forwarder';
import type { RouteInput } from '../../apps/proxy/src/routing/route-table';

const [library, hubUrl, secret, portArg, workersArg] = process.argv.slice(2);
const port = Number(portArg);
const workers = Number(workersArg ?? 2);

type Msg = { routes?: RouteInput[]; id?: number; added?: number; ready?: boolean };

if (cluster.isPrimary) {
  // As apps/proxy/src/main.ts: connections handed out in turn, so a burst is spread evenly.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const forked = Array.from({ length: workers }, () => cluster.fork());
  let ready = 0;
  for (const w of forked) {
    w.on('message', (m: Msg) => {
      if (m.ready && ++ready === workers) process.send!({ ready: true, port, pids: forked.map((f) => f.process.pid) });
    });
  }
  process.on('message', (msg: Msg) => {
    if (!msg.routes) return;
    let acks = 0;
    let added = 0;
    for (const w of forked) {
      const onAck = (m: Msg): void => {
        if (m.id !== msg.id) return;
        w.off('message', onAck);
        added = m.added ?? 0;
        if (++acks === workers) process.send!({ id: msg.id, added });
      };
      w.on('message', onAck);
      w.send(msg);
    }
  });
  process.on('disconnect', () => process.exit(0));
} else {
  void (async () => {
    const proxy = new ProxyServer({
      port,
      hubUrl,
      cookieSecret: secret,
      library: library === 'default' ? undefined : (library as ForwardingLibrary),
    });
    await proxy.start();
    process.on('message', (msg: Msg) => {
      if (msg.routes)
        process.send!({
          id: msg.id,
          added: msg.routes.map((r) => proxy.routes.set(r)).filter((r) => r.applied).length,
        });
    });
    process.send!({ ready: true });
  })();
}
