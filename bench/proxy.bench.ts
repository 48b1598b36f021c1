/**
 * Proxy benchmark: condorhub's proxy against configurable-http-proxy 5.3 in one run.
 *
 *   npm run bench:proxy [-- --duration 10 --rounds 3 --connections 64 --routes 1000 --soak-seconds 300
 *                          --workers N --autocannon --node-backend --soak-http-proxy]
 *
 * Processes (all on 127.0.0.1): one stand-in backend (1,000 notebook ports; C when the machine
 * has a compiler), the proxies under test, and one load generator (wrk when installed, else
 * autocannon). Each proxy is measured alone, in interleaved rounds, with the same backend,
 * routes, load and concurrency; requests cycle over all 1,000 routes. Ours is measured as it is
 * deployed (CONDORHUB_PROXY_WORKERS' default: one worker per core) and as one process, CHP as
 * the one process it can only be. Then a websocket churn soak through one process of ours (live
 * and dead targets, Node stand-in) samples its RSS after a forced GC.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { cpus, totalmem } from 'node:os';
import * as path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { loadConfig } from '../libs/config/src';
import { signSession, SESSION_COOKIE_NAME } from '@condorhub/session-cookie';
import { startCBackend } from './proxy/c-backend';
import { flag, numberArg } from './lib/args';
import { processCpuSeconds } from './lib/proc-cpu';
import { median } from './lib/stats';

const root = path.resolve(__dirname, '..');
const register = path.join(root, 'tools/register.js');

const ROUTES = numberArg('routes', 1000);
const DURATION = numberArg('duration', 10);
const ROUNDS = numberArg('rounds', 3);
const CONNECTIONS = numberArg('connections', 64);
const SOAK_SECONDS = numberArg('soak-seconds', 300);
// wrk (C) generates the HTTP load when installed, for every proxy alike: the lighter the load
// generator, the more of the 2 cores the proxies get. --autocannon: the Node generator instead.
const GENERATOR: 'wrk' | 'autocannon' = !flag('autocannon') && onPath('wrk') ? 'wrk' : 'autocannon';
// Our proxy as deployed: CONDORHUB_PROXY_WORKERS' default (one per core) unless --workers N.
const WORKERS = numberArg('workers', loadConfig({}).CONDORHUB_PROXY_WORKERS);
// Which forwarding libraries the websocket soak runs on: the proxy's default (websockets on
// http-proxy-3), or --soak-http-proxy: http-proxy on both paths.
const SOAK_LIBRARY = flag('soak-http-proxy') ? 'http-proxy' : 'default';
const DEAD_ROUTES = 100;
// Routes the websocket soak cycles over (Node stand-in ports with an echo).
const SOAK_ROUTES = 100;
const SECRET = 'bench-cookie-secret-0123456789';

const children: ChildProcess[] = [];
function cleanup(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const log = (s: string): void => void process.stderr.write(`${s}\n`);

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(path.join(dir, command)));
}

function forkTs(file: string, args: string[], execArgv: string[] = []): ChildProcess {
  const c = fork(path.join(root, file), args, {
    execArgv: ['-r', register, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(c);
  return c;
}

function once<T>(c: ChildProcess, pred: (m: any) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(t);
      c.off('message', onMsg);
      c.off('exit', onExit);
    };
    const t = setTimeout(() => {
      done();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const onMsg = (m: any): void => {
      if (!pred(m)) return;
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`${what}: process exited with ${code}`));
    };
    c.on('message', onMsg);
    c.once('exit', onExit);
  });
}

let nextId = 1;
function ask<T>(c: ChildProcess, msg: object, what: string, timeoutMs = 60_000): Promise<T> {
  const id = nextId++;
  const p = once<T>(c, (m) => m.id === id, what, timeoutMs);
  c.send({ ...msg, id });
  return p;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function httpJson(
  method: string,
  url: string,
  body: object | undefined,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : undefined;
    const req = http.request(url, { method, headers: { ...headers, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout ${method} ${url}`)));
    req.end(data);
  });
}

async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`port ${port} never opened`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU seconds (user+system) a process has used, from /proc (Linux). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

interface HttpResult {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface Target {
  name: string;
  port: number;
  pids: number[];
}

async function main(): Promise<void> {
  log(
    `proxy bench: ${ROUTES} routes, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION}s per proxy, soak ${SOAK_SECONDS}s`,
  );
  log(`node ${process.version}, ${cpus().length} cpus, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);

  // 1. backends: the HTTP rounds' stand-in (C when possible) and the Node one for websockets
  const cBackend = flag('node-backend') ? undefined : await startCBackend(ROUTES);
  if (cBackend) children.push(cBackend.child);
  const nodeBackend = forkTs('bench/proxy/backend.ts', [String(cBackend ? SOAK_ROUTES : ROUTES)]);
  const { ports: nodePorts } = await once<{ ports: number[] }>(nodeBackend, (m) => m.ready, 'backend');
  const backendPid = cBackend?.child.pid ?? nodeBackend.pid!;
  const ports = cBackend?.ports ?? nodePorts;
  log(
    `backend: ${ports.length} notebook ports, ${cBackend ? 'C (bench/proxy/backend.c)' : 'Node'} (pid ${backendPid}); websocket soak: Node, ${nodePorts.length} ports`,
  );
  log(`load generator: ${GENERATOR}${GENERATOR === 'autocannon' && !flag('autocannon') ? ' (wrk not installed)' : ''}`);
  const hubPort = await freePort(); // the hub is not exercised; an unused port stands in
  const routes = ports.map((port, i) => ({
    routeSpec: `/user/u${i}/`,
    target: `http://127.0.0.1:${port}`,
    spawnId: `s${i}`,
    owner: `u${i}`,
    serverName: '',
    generation: i + 1,
  }));
  const paths = routes.map((r, i) => `${r.routeSpec}api/contents/notebook${i % 7}.ipynb?content=0`);
  // Websocket soak routes: the Node stand-in's echo ports.
  const wsRoutes = nodePorts.slice(0, SOAK_ROUTES).map((port, i) => ({
    routeSpec: `/user/ws${i}/`,
    target: `http://127.0.0.1:${port}`,
    spawnId: `w${i}`,
    owner: `ws${i}`,
    serverName: '',
    generation: 50_000 + i,
  }));

  // 2. proxies under test
  const ours: Record<string, { child: ChildProcess; port: number }> = {};
  // 'default': HTTP on http-proxy, websockets on http-proxy-3; the others: one library on both paths.
  for (const library of ['default', 'http-proxy-3', ...(SOAK_LIBRARY === 'http-proxy' ? ['http-proxy'] : [])]) {
    const child = forkTs(
      'bench/proxy/proxy-child.ts',
      [library, `http://127.0.0.1:${hubPort}`, SECRET],
      ['--expose-gc'],
    );
    const { port } = await once<{ port: number }>(child, (m) => m.ready, `proxy (${library})`);
    const { added } = await ask<{ added: number }>(child, { routes }, 'add routes');
    log(`condorhub proxy (${library}): port ${port}, ${added} routes (pid ${child.pid})`);
    ours[library] = { child, port };
  }
  const workersPort = await freePort();
  const workers = forkTs('bench/proxy/proxy-workers.ts', [
    'default',
    `http://127.0.0.1:${hubPort}`,
    SECRET,
    String(workersPort),
    String(WORKERS),
  ]);
  const { pids: workerPids } = await once<{ pids: number[] }>(workers, (m) => m.ready, 'proxy workers');
  await ask(workers, { routes }, 'add routes to workers');
  log(
    `condorhub proxy as deployed, ${WORKERS} worker process${WORKERS === 1 ? '' : 'es'} (default libraries): port ${workersPort} (pids ${workerPids.join(', ')})`,
  );
  const chpPort = await freePort();
  const chpApiPort = await freePort();
  const chp = spawn(
    path.join(root, 'node_modules/.bin/configurable-http-proxy'),
    [
      '--ip',
      '127.0.0.1',
      '--port',
      String(chpPort),
      '--api-ip',
      '127.0.0.1',
      '--api-port',
      String(chpApiPort),
      '--default-target',
      `http://127.0.0.1:${hubPort}`,
    ],
    { env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: 'bench-chp-token' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(chp);
  await waitForPort(chpApiPort);
  for (let i = 0; i < routes.length; i += 10) {
    await Promise.all(
      routes.slice(i, i + 10).map(async (r) => {
        const status = await httpJson(
          'POST',
          `http://127.0.0.1:${chpApiPort}/api/routes${r.routeSpec.replace(/\/$/, '')}`,
          { target: r.target },
          {
            authorization: 'token bench-chp-token',
          },
        );
        if (status !== 201) throw new Error(`CHP refused route ${r.routeSpec}: ${status}`);
      }),
    );
  }
  log(`configurable-http-proxy 5.3: port ${chpPort}, ${routes.length} routes via its REST API (pid ${chp.pid})`);

  // 3. load generator (its own process)
  const load = forkTs('bench/proxy/load.ts', []);
  // Browser-like request: an admin hub session (owner check passes for every route; CHP ignores it).
  const cookie = `${SESSION_COOKIE_NAME}=${signSession(SECRET, { user: 'bench-admin', admin: true, exp: Math.floor(Date.now() / 1000) + 86_400 })}`;
  const headers = { cookie, accept: 'application/json' };

  const targets: Target[] = [
    // No proxy at all: the same load straight at one notebook port. The ceiling this machine allows.
    { name: 'direct', port: ports[0], pids: [backendPid] },
    { name: 'chp', port: chpPort, pids: [chp.pid!] },
    { name: 'proxy', port: workersPort, pids: workerPids },
    { name: 'proxy_1process', port: ours.default.port, pids: [ours.default.child.pid!] },
    { name: 'proxy_httpproxy3', port: ours['http-proxy-3'].port, pids: [ours['http-proxy-3'].child.pid!] },
  ];
  const runs = new Map<string, (HttpResult & { cpuUsPerReq: number })[]>(targets.map((t) => [t.name, []]));
  const measure = async (t: Target, durationS: number): Promise<HttpResult & { cpuUsPerReq: number }> => {
    const cpuOf = (): number => t.pids.reduce((a, pid) => a + processCpuSeconds(pid), 0);
    const cpu0 = cpuOf();
    const pending = once<{ result?: HttpResult; error?: string }>(
      load,
      (m) => 'result' in m || 'error' in m,
      `load on ${t.name}`,
      (durationS + 60) * 1000,
    );
    load.send({
      kind: 'http',
      generator: GENERATOR,
      url: `http://127.0.0.1:${t.port}`,
      paths,
      headers,
      connections: CONNECTIONS,
      durationS,
    });
    const reply = await pending;
    if (reply.error || !reply.result) throw new Error(reply.error ?? 'no result');
    const r = reply.result;
    const cpu = cpuOf() - cpu0;
    return { ...r, cpuUsPerReq: (cpu / Math.max(1, r.total)) * 1e6 };
  };

  log('\nwarm-up (3 s each)');
  for (const t of targets) await measure(t, 3);
  for (let round = 1; round <= ROUNDS; round++) {
    // Rotate the order each round so no proxy always runs first or last.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]);
    for (const t of order) {
      log(`round ${round}/${ROUNDS}: ${t.name} for ${DURATION}s`);
      const r = await measure(t, DURATION);
      runs.get(t.name)!.push(r);
      if (t.name === 'proxy_1process' || t.name === 'proxy_httpproxy3') {
        const child = t.name === 'proxy_httpproxy3' ? ours['http-proxy-3'].child : ours.default.child;
        log(`  errors so far: ${JSON.stringify((await ask<{ errors: object }>(child, { gc: true }, 'stats')).errors)}`);
      }
      log(
        `  ${t.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.cpuUsPerReq.toFixed(0)} µs CPU/req, non-2xx ${r.non2xx}, errors ${r.errors} ${JSON.stringify((r as any).statusCodeStats)}`,
      );
    }
  }

  const summary = (name: string) => {
    const rs = runs.get(name)!;
    return {
      rps: median(rs.map((r) => r.rps)),
      p99: median(rs.map((r) => r.p99)),
      p50: median(rs.map((r) => r.p50)),
      cpu: median(rs.map((r) => r.cpuUsPerReq)),
      bad: rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0),
    };
  };
  const chpS = summary('chp');
  const deployed = summary('proxy');
  const p3 = summary('proxy_1process');
  const v3 = summary('proxy_httpproxy3');
  const direct = summary('direct');

  // 4. websocket churn soak through our proxy (default library), live and dead targets
  const soakProxy = ours[SOAK_LIBRARY];
  const deadRoutes = Array.from({ length: DEAD_ROUTES }, (_, i) => ({
    routeSpec: `/user/dead${i}/`,
    target: '',
    spawnId: `d${i}`,
    owner: `dead${i}`,
    serverName: '',
    generation: 100_000 + i,
  }));
  // Dead targets: ports that were free a moment ago (nothing listens there).
  for (const r of deadRoutes) r.target = `http://127.0.0.1:${await freePort()}`;
  await ask(soakProxy.child, { routes: [...wsRoutes, ...deadRoutes] }, 'add websocket and dead routes');
  // Let the HTTP phase's sockets drain; then churn, taking the baseline after a warm-up so
  // one-time allocations (buffers, JIT, pools) do not count as growth.
  await new Promise((r) => setTimeout(r, 6000));
  const warmS = Math.round(Math.min(30, Math.max(5, SOAK_SECONDS * 0.1)));
  log(
    `\nwebsocket churn soak (${SOAK_LIBRARY}): ${warmS}s warm-up + ${SOAK_SECONDS}s measured, 50 concurrent clients, 1 in 5 upgrades to a dead target`,
  );
  const samples: [number, number][] = [];
  const t0 = Date.now();
  const sampler = setInterval(() => samples.push([(Date.now() - t0) / 1000, rssMb(soakProxy.child.pid!)]), 5000);
  const churnP = once<{ result?: Record<string, number>; error?: string }>(
    load,
    (m) => 'result' in m || 'error' in m,
    'churn',
    (warmS + SOAK_SECONDS + 120) * 1000,
  );
  load.send({
    kind: 'ws-churn',
    base: `ws://127.0.0.1:${soakProxy.port}`,
    livePaths: wsRoutes.map((r) => `${r.routeSpec}api/kernels/k/channels`),
    deadPaths: deadRoutes.map((r) => `${r.routeSpec}api/kernels/k/channels`),
    headers: { cookie },
    concurrency: 50,
    durationS: warmS + SOAK_SECONDS,
  });
  await new Promise((r) => setTimeout(r, warmS * 1000));
  const base = await ask<{ rss: number }>(soakProxy.child, { gc: true }, 'gc');
  log(`  baseline after warm-up and GC: RSS ${(base.rss / 2 ** 20).toFixed(1)} MB`);
  const progress = setInterval(() => {
    const last = samples[samples.length - 1];
    if (last) log(`  soak ${last[0].toFixed(0)}s: RSS ${last[1].toFixed(1)} MB`);
  }, 30_000);
  const churn = await churnP;
  // Ask for the end sample while nothing else runs (the churn has just stopped), after GC.
  const end = await ask<{ rss: number }>(soakProxy.child, { gc: true }, 'gc');
  clearInterval(sampler);
  clearInterval(progress);
  if (churn.error) throw new Error(churn.error);
  await new Promise((r) => setTimeout(r, 2000));
  const settled = await ask<{ openSockets: number; websocketsOpen: number }>(soakProxy.child, { gc: true }, 'gc');
  const growthMb = (end.rss - base.rss) / 2 ** 20;
  const growth5min = (growthMb * 300) / SOAK_SECONDS;
  log(`  churn: ${JSON.stringify(churn.result)}; RSS after GC ${(end.rss / 2 ** 20).toFixed(1)} MB`);
  log(`  RSS samples (s, MB): ${samples.map(([s, m]) => `${s.toFixed(0)}:${m.toFixed(0)}`).join(' ')}`);

  const lines = [
    `proxy.rps: ${deployed.rps.toFixed(0)}`,
    `chp.rps: ${chpS.rps.toFixed(0)}`,
    `proxy.rps_ratio_vs_chp: ${(deployed.rps / chpS.rps).toFixed(2)}`,
    `proxy.p99_ms: ${deployed.p99}`,
    `chp.p99_ms: ${chpS.p99}`,
    `proxy.rss_growth_mb_5min: ${growth5min.toFixed(1)}${SOAK_SECONDS === 300 ? '' : ` (extrapolated from ${SOAK_SECONDS}s: ${growthMb.toFixed(1)} MB)`}`,
    `proxy.workers: ${WORKERS}`,
    `proxy.p50_ms: ${deployed.p50}`,
    `chp.p50_ms: ${chpS.p50}`,
    `proxy.cpu_us_per_req: ${deployed.cpu.toFixed(0)}`,
    `chp.cpu_us_per_req: ${chpS.cpu.toFixed(0)}`,
    `proxy_1process.rps: ${p3.rps.toFixed(0)}`,
    `proxy_1process.rps_ratio_vs_chp: ${(p3.rps / chpS.rps).toFixed(2)}`,
    `proxy_1process.p99_ms: ${p3.p99}`,
    `proxy_1process.cpu_us_per_req: ${p3.cpu.toFixed(0)}`,
    `proxy_httpproxy3.rps: ${v3.rps.toFixed(0)}`,
    `proxy_httpproxy3.p99_ms: ${v3.p99}`,
    `proxy_httpproxy3.cpu_us_per_req: ${v3.cpu.toFixed(0)}`,
    `proxy.failed_requests: ${deployed.bad + p3.bad + v3.bad}`,
    `chp.failed_requests: ${chpS.bad}`,
    `proxy.ws_churn: ${churn.result!.ok} echoed, ${churn.result!.refused} refused at dead targets, ${churn.result!.bad} unexpected`,
    `proxy.open_sockets_after_soak: ${settled.openSockets} (websockets open: ${settled.websocketsOpen})`,
    `direct.rps: ${direct.rps.toFixed(0)}`,
    `direct.p99_ms: ${direct.p99}`,
    `bench.load_generator: ${GENERATOR}`,
    `bench.backend: ${cBackend ? 'c' : 'node'}`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

main().then(
  () => {
    cleanup();
    process.exit(0);
  },
  (err: Error) => {
    log(`bench failed: ${err.stack ?? err.message}`);
    cleanup();
    process.exit(1);
  },
);
