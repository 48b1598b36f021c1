// `CONDORHUB_PROXY_WORKERS=2`: the proxy's main as a real process tree on one port; workers are
// replaced when they die and stop with the primary.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import {
  type TestDatabase,
  type TestNats,
  createTestDatabase,
  createTestNats,
  freePort,
  serviceEnv,
} from '@condorhub/testing';

const root = path.resolve(__dirname, '../../..');

function get(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { connection: 'close' },
        timeout: 2_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

async function health(port: number): Promise<{ pid: number } | undefined> {
  try {
    return JSON.parse((await get(port, '/_condorhub/health')) ?? '');
  } catch {
    return undefined;
  }
}

/** 2xx responses the proxy has sent, as its /metrics says (one new connection per call). */
async function answered2xx(port: number): Promise<number> {
  const text = (await get(port, '/metrics')) ?? '';
  const m = /^condorhub_proxy_requests_total\{code="2xx"\} (\d+)$/m.exec(text);
  assert.ok(m, `no request count in /metrics: ${text.slice(0, 200)}`);
  return Number(m[1]);
}

/** Asks until `want` holds for the set of pids seen answering since the call began. */
async function pidsAnswering(port: number, want: (pids: Set<number>) => boolean, timeoutMs = 60_000) {
  const seen = new Set<number>();
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    const h = await health(port);
    if (h?.pid) seen.add(h.pid);
    if (want(seen)) return seen;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pids seen: ${[...seen].join(', ')}`);
}

describe('proxy workers', () => {
  let t: TestDatabase;
  let n: TestNats;
  let primary: ChildProcess;
  let port: number;
  let readyMessage: Promise<unknown>;

  before(async () => {
    t = await createTestDatabase('proxy_workers');
    n = await createTestNats('proxy_workers');
    port = await freePort();
    primary = spawn(process.execPath, ['-r', path.join(root, 'tools/register.js'), 'apps/proxy/src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        ...serviceEnv(t, n),
        CONDORHUB_PROXY_PORT: String(port),
        CONDORHUB_PROXY_WORKERS: '2',
        CONDORHUB_COOKIE_SECRET: 'cookie-secret-for-tests-0123456789abcdef',
        CONDORHUB_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    readyMessage = new Promise((resolve) => primary.once('message', resolve));
  });
  after(async () => {
    if (primary && primary.exitCode === null) primary.kill('SIGKILL');
    await n?.drop();
    await t?.drop();
  });

  it(
    'tells its supervisor it is ready, serves from two processes with one /metrics, replaces one that dies, and stops with the primary',
    { timeout: 120_000 },
    async () => {
      assert.deepEqual(await readyMessage, { ready: 'proxy' });
      const first = await pidsAnswering(port, (p) => p.size >= 2);
      assert.ok(!first.has(primary.pid!), 'the primary only supervises');

      // Whichever worker answers a scrape, /metrics counts every worker's requests.
      const before = await answered2xx(port);
      for (let i = 0; i < 10; i++) assert.ok(await health(port));
      assert.equal(await answered2xx(port), before + 11, 'ten health checks and the first scrape');

      const [victim] = first;
      process.kill(victim, 'SIGKILL');
      // A new worker answers (the want), in place of the killed one.
      await pidsAnswering(port, (p) => [...p].some((pid) => !first.has(pid)));

      const exited = new Promise<number | null>((r) => primary.once('exit', (code) => r(code)));
      primary.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.equal(await health(port), undefined, 'no worker left listening');
    },
  );
});
