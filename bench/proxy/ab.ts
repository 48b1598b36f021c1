/**
 * Interleaved A/B of condorhub's proxy between checkouts (e.g. main and a branch), and CPU
 * profiles of it under the bench's load. Lighter than bench:proxy (no CHP, no soak): the
 * figure is the proxy's CPU µs per request, which a machine shared with other work disturbs
 * least (req/s are printed too, but read them only on an idle machine).
 *
 *   node -r ./tools/register.js bench/proxy/ab.ts --roots /work/main,. \
 *     [--workers 2 --duration 8 --rounds 3 --routes 1000 --connections 64 --cpu-prof DIR]
 *
 * Each root's bench/proxy/proxy-workers.ts (with that root's tools/register.js) runs its own
 * apps/proxy code; rounds rotate the order. The load is bench:proxy's: wrk over all routes in
 * turn with an admin hub session cookie, the C stand-in as the notebooks. With --cpu-prof each
 * proxy process writes a .cpuprofile into DIR/<root's basename>/ when the run ends
 * (bench/proxy/profile/summarize.ts turns one into a table).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { mkdirSync } from 'node:fs';
import { signSession, SESSION_COOKIE_NAME } from '@condorhub/session-cookie';
import { startCBackend } from './c-backend';
import { numberArg } from '../lib/args';
import { processCpuSeconds } from '../lib/proc-cpu';
import { median } from '../lib/stats';

const ROUTES = numberArg('routes', 1000);
const DURATION = numberArg('duration', 8);
const ROUNDS = numberArg('rounds', 3);
const CONNECTIONS = numberArg('connections', 64);
const WORKERS = numberArg('workers', 2);
const SECRET = 'bench-cookie-secret-0123456789';

function stringArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const ROOTS = (stringArg('roots') ?? '.').split(',').map((r) => path.resolve(r));
const PROFILE_DIR = stringArg('cpu-prof');

const children: ChildProcess[] = [];
const log = (s: string): void => void process.stderr.write(`${s}\n`);
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGINT');
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function reply<T>(c: ChildProcess, pred: (m: any) => boolean, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 60_000);
    const onMsg = (m: any): void => {
      if (!pred(m)) return;
      clearTimeout(t);
      c.off('message', onMsg);
      resolve(m as T);
    };
    c.on('message', onMsg);
    c.once('exit', (code) => reject(new Error(`${what}: exited with ${code}`)));
  });
}

interface Wrk {
  rps: number;
  total: number;
  p99: number;
  bad: number;
}

function wrk(port: number, cookie: string, durationS: number): Promise<Wrk> {
  const ms = (v: string | undefined): number => {
    const m = /^([\d.]+)(us|ms|s)$/.exec((v ?? '').trim());
    return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
  };
  return new Promise((resolve, reject) => {
    const child = spawn(
      'wrk',
      [
        '-t1',
        `-c${CONNECTIONS}`,
        `-d${durationS}s`,
        '--latency',
        '--timeout',
        '10s',
        '-s',
        path.join(__dirname, 'wrk-round-robin.lua'),
        `http://127.0.0.1:${port}`,
      ],
      {
        env: { ...process.env, BENCH_ROUTES: String(ROUTES), BENCH_COOKIE: cookie },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), (durationS + 30) * 1000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
      const total = /(\d+) requests in/.exec(out);
      if (code !== 0 || !rps || !total) return reject(new Error(`wrk failed (${code}): ${out.slice(-500)}`));
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = sock ? sock.slice(1).reduce((a, n) => a + Number(n), 0) : 0;
      resolve({
        rps: Number(rps[1]),
        total: Number(total[1]),
        p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1]),
        bad: non2xx + errors,
      });
    });
  });
}

async function main(): Promise<void> {
  const backend = await startCBackend(ROUTES);
  if (!backend) throw new Error('no C compiler for bench/proxy/backend.c');
  children.push(backend.child);
  const routes = backend.ports.map((port, i) => ({
    routeSpec: `/user/u${i}/`,
    target: `http://127.0.0.1:${port}`,
    spawnId: `s${i}`,
    owner: `u${i}`,
    serverName: '',
    generation: i + 1,
  }));
  const hubPort = await freePort();

  const proxies: { name: string; port: number; pids: number[]; child: ChildProcess }[] = [];
  for (const [i, root] of ROOTS.entries()) {
    const name = `${i}:${path.basename(root)}`;
    const execArgv = ['-r', path.join(root, 'tools/register.js')];
    if (PROFILE_DIR) {
      const dir = path.resolve(PROFILE_DIR, path.basename(root));
      mkdirSync(dir, { recursive: true });
      execArgv.push('--cpu-prof', '--cpu-prof-dir', dir);
    }
    const port = await freePort();
    const child = fork(
      path.join(root, 'bench/proxy/proxy-workers.ts'),
      ['default', `http://127.0.0.1:${hubPort}`, SECRET, String(port), String(WORKERS)],
      { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    children.push(child);
    const { pids } = await reply<{ pids: number[] }>(child, (m) => m.ready, name);
    const ack = reply<{ added: number }>(child, (m) => m.id === 1, `${name} routes`);
    child.send({ routes, id: 1 });
    const { added } = await ack;
    log(`${name}: port ${port}, ${WORKERS} worker(s) ${pids.join(', ')}, ${added} routes`);
    proxies.push({ name, port, pids, child });
  }

  const cookie = `${SESSION_COOKIE_NAME}=${signSession(SECRET, { user: 'bench-admin', admin: true, exp: Math.floor(Date.now() / 1000) + 86_400 })}`;
  const runs = new Map<string, (Wrk & { cpuUs: number })[]>(proxies.map((p) => [p.name, []]));
  const measure = async (p: (typeof proxies)[number], durationS: number): Promise<Wrk & { cpuUs: number }> => {
    const cpu = (): number => p.pids.reduce((a, pid) => a + processCpuSeconds(pid), 0);
    const c0 = cpu();
    const r = await wrk(p.port, cookie, durationS);
    return { ...r, cpuUs: ((cpu() - c0) / Math.max(1, r.total)) * 1e6 };
  };
  // Every request a proxy served (warm-up included): what its profile covers.
  const served = new Map<string, number>(proxies.map((p) => [p.name, 0]));
  for (const p of proxies) served.set(p.name, (await measure(p, 3)).total);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = proxies.map((_, i) => proxies[(i + round - 1) % proxies.length]);
    for (const p of order) {
      const r = await measure(p, DURATION);
      runs.get(p.name)!.push(r);
      served.set(p.name, served.get(p.name)! + r.total);
      log(
        `round ${round} ${p.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99} ms, ${r.cpuUs.toFixed(1)} µs CPU/req, bad ${r.bad}`,
      );
    }
  }
  for (const p of proxies) {
    const rs = runs.get(p.name)!;
    const cpu = rs.map((r) => r.cpuUs).sort((a, b) => a - b);
    process.stdout.write(
      `${p.name}.cpu_us_per_req: ${cpu.map((c) => c.toFixed(1)).join(' / ')} (min / … / max)\n` +
        `${p.name}.rps: ${median(rs.map((r) => r.rps)).toFixed(0)}\n` +
        `${p.name}.p99_ms: ${median(rs.map((r) => r.p99)).toFixed(1)}\n` +
        `${p.name}.bad: ${rs.reduce((a, r) => a + r.bad, 0)}\n` +
        `${p.name}.requests_served: ${served.get(p.name)}\n`,
    );
  }
  // Only the primaries: a cluster worker whose primary is gone exits normally (process.exit),
  // so --cpu-prof writes its profile; a signal would kill it before.
  for (const p of proxies) p.child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 3000));
}

main().then(
  () => process.exit(0),
  (err: Error) => {
    log(`ab failed: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
