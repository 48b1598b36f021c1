import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { parse } from 'yaml';
import { freePort } from '@condorhub/testing';
import { ensureUser } from './condor-sim/harness';

// docker-compose.yml without Docker (there is no engine here): the file's rules checked, then
// each container's command run natively, the way the container runs it — its environment as
// the file gives it, service names as 127.0.0.1 (condor-sim's worker aliases as 127.0.0.2…),
// /app as this checkout, named volumes as temp dirs, each port as in the file unless taken on
// this shared machine (then a free one, consistently) — until every health check passes and a
// spawn on the condor-sim service becomes ready. Not covered here (README, "Docker compose"):
// the image build, the postgres image (the shared server stands in, with a fresh database),
// `user:` (everything runs as root here) and Docker's DNS and network.
const root = path.resolve(__dirname, '..');
const COMPOSE = path.join(root, 'docker-compose.yml');
const SECRETS = {
  CONDORHUB_COOKIE_SECRET: randomBytes(24).toString('hex'),
  CONDORHUB_ADMIN_TOKEN: randomBytes(16).toString('hex'),
  CONDORHUB_DUMMY_PASSWORD: `pw-${randomBytes(6).toString('hex')}`,
};
const USER = 'chcompose';
// What each image runs a service's command with (its ENTRYPOINT), for the images not built here.
const ENTRYPOINT: Record<string, string[]> = { 'nats:2.10-alpine': ['nats-server'] };

interface Service {
  image?: string;
  build?: { context: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  ports?: string[];
  user?: string;
  networks?: { default?: { aliases?: string[] } };
}

/** Compose's interpolation: ${X}, ${X:-default}, ${X:?error} (an unset mandatory one throws). */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g, (_m, name, op, arg) => {
    const v = env[name];
    const empty = v === undefined || (op?.startsWith(':') && v === '');
    if (!empty) return v!;
    if (op?.endsWith('?')) throw new Error(`${name}: ${arg}`);
    return op?.endsWith('-') ? arg : '';
  });
}

function loadCompose(env: Record<string, string | undefined>): Record<string, Service> {
  const doc = parse(fs.readFileSync(COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const services = doc.services;
  for (const s of Object.values(services))
    if (s.environment)
      s.environment = Object.fromEntries(
        Object.entries(s.environment).map(([k, v]) => [k, interpolate(String(v ?? ''), env)]),
      );
  return services;
}

const hostOf = (url: string) => new URL(url).hostname;
const LOOPBACK = /(^|[^\d])127\.\d+\.\d+\.\d+|localhost|\[?::1\]?/;

describe('docker-compose.yml: the rules', () => {
  const services = loadCompose(SECRETS);
  const names = Object.keys(services);

  it('has every part: the infrastructure, condor-sim and each condorhub service', () => {
    for (const s of ['postgres', 'nats', 'condor-sim', 'hub', 'proxy', 'port-registry', 'projector', 'spawner'])
      assert.ok(names.includes(s), s);
    assert.ok(names.includes('condor-poller'));
  });

  it('gives every service a real health check, and waits on health where it depends', () => {
    for (const [name, s] of Object.entries(services)) {
      assert.ok(s.healthcheck && !s.healthcheck.disable, `${name} has a health check`);
      assert.equal(s.healthcheck.test[0], 'CMD', `${name}: exec form`);
      assert.ok(s.healthcheck.test.length > 1);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        assert.ok(services[dep], `${name} depends on a service that exists: ${dep}`);
        assert.equal(condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
      }
    }
    // The condorhub services check their own /ready (store, NATS, consumers), on their own port.
    for (const name of ['hub', 'proxy', 'port-registry', 'projector', 'spawner', 'condor-poller']) {
      const url = services[name].healthcheck!.test.at(-1)!;
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/ready$/, name);
      const port = new URL(url).port;
      assert.ok(
        Object.entries(services[name].environment!).some(([k, v]) => /_PORT$/.test(k) && v === port),
        `${name} listens where its health check asks (${port})`,
      );
    }
  });

  it('reaches other containers by service name (or alias), never by a loopback address', () => {
    const reachable = new Set([
      ...names,
      ...Object.values(services).flatMap((s) => s.networks?.default?.aliases ?? []),
    ]);
    for (const [name, s] of Object.entries(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        // Browsers' address, and address lists that only say whom to believe: not a way to reach anyone.
        if (k === 'CONDORHUB_PUBLIC_URL' || k === 'CONDORHUB_TRUSTED_PROXIES') continue;
        assert.doesNotMatch(v, LOOPBACK, `${name} ${k}=${v}`);
        if (/^(https?|nats|postgres):\/\//.test(v)) assert.ok(reachable.has(hostOf(v)), `${name} ${k}: ${v}`);
      }
      for (const arg of s.command ?? []) assert.doesNotMatch(arg, LOOPBACK, `${name} command: ${arg}`);
    }
    // condor-sim's worker hosts are its own aliases: the proxy reaches the notebooks there.
    const sim = services['condor-sim'];
    const workers = sim.command![sim.command!.indexOf('--worker-addresses') + 1].split(',');
    assert.deepEqual(workers, sim.networks!.default!.aliases);
    assert.ok(sim.command!.includes('--create-owners'));
    // Jobs reach the proxy by its name, at its port.
    const jobHub = new URL(services.spawner.environment!.CONDORHUB_JOB_HUB_URL);
    assert.equal(jobHub.hostname, 'proxy');
    assert.equal(jobHub.port, services.proxy.environment!.CONDORHUB_PROXY_PORT);
    // The condor tools reach the daemon's socket through one shared volume.
    for (const name of ['condor-sim', 'spawner', 'condor-poller']) {
      const home = services[name].environment!.CONDOR_SIM_HOME;
      assert.ok(services[name].volumes?.includes(`condor-sim:${home}`), `${name} mounts condor-sim at ${home}`);
    }
  });

  it('is not open by default: secrets and the demo password are required, the proxy only on loopback', () => {
    for (const key of Object.keys(SECRETS)) {
      const without: Record<string, string> = { ...SECRETS };
      delete without[key];
      assert.throws(() => loadCompose(without), new RegExp(key), `${key} is required`);
    }
    assert.equal(services.hub.environment!.CONDORHUB_AUTHENTICATOR, 'dummy');
    assert.equal(services.hub.environment!.CONDORHUB_DUMMY_PASSWORD, SECRETS.CONDORHUB_DUMMY_PASSWORD);
    assert.deepEqual(services.proxy.ports, ['127.0.0.1:8000:8000']);
    for (const [name, s] of Object.entries(services)) if (name !== 'proxy') assert.equal(s.ports, undefined, name);
    // Only the services that switch to job owners (or remove any owner's jobs) run as root.
    for (const name of ['hub', 'proxy', 'port-registry', 'projector']) assert.equal(services[name].user, 'node', name);
  });

  it('builds condorhub from the Dockerfile with npm ci, and the notebook image has jupyterhub-singleuser', () => {
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    assert.match(dockerfile, /^RUN npm ci\b/m);
    for (const [name, s] of Object.entries(services)) {
      if (name === 'postgres' || name === 'nats') continue;
      assert.ok(s.build && new RegExp(`^FROM .* AS ${s.build.target}$`, 'm').test(dockerfile), `${name} build target`);
      assert.equal(s.build.context, '.');
    }
    assert.match(dockerfile, /AS condor-sim[\s\S]*apt-get install[^\n]*jupyterhub/);
    assert.equal(services.spawner.environment!.CONDORHUB_NOTEBOOK_CMD, 'jupyterhub-singleuser');
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', '.git', '.condor-sim']) assert.ok(ignored.includes(p), `.dockerignore ${p}`);
  });

  it('is valid for docker-compose (v1, no engine needed for `config`), when installed', (t) => {
    if (spawnSync('docker-compose', ['version'], { timeout: 30_000 }).status !== 0) {
      t.skip('docker-compose not installed (apt-get install --no-install-recommends docker-compose)');
      return;
    }
    const run = (env: Record<string, string>) =>
      spawnSync('docker-compose', ['-f', COMPOSE, 'config', '-q'], {
        env: { PATH: process.env.PATH, ...env },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const ok = run(SECRETS);
    assert.equal(ok.status, 0, ok.stderr);
    const missing = run({ ...SECRETS, CONDORHUB_DUMMY_PASSWORD: '' });
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /set a password for the demo login/);
  });
});

describe('docker-compose.yml: each container command run natively, a spawn on condor-sim', () => {
  const database = `compose_${randomBytes(4).toString('hex')}`;
  const volumes = new Map<string, string>();
  const procs: { name: string; child: ChildProcess; output: () => string }[] = [];
  let services: Record<string, Service>;
  let hosts: Map<string, string>;
  let ports: Map<string, string>;
  let proxyUrl: string;

  const adminClient = () =>
    new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres', connectionTimeoutMillis: 10_000 });

  /** A text of the file (env value, argument, URL) as it reads on this host. */
  function native(text: string): string {
    let s = text;
    for (const [target, dir] of volumes)
      if (s === target || s.startsWith(`${target}/`)) s = dir + s.slice(target.length);
    // A list of hosts (condor-sim's --worker-addresses).
    if (s.includes(',') && s.split(',').every((h) => hosts.has(h)))
      return s
        .split(',')
        .map((h) => hosts.get(h))
        .join(',');
    s = s.replace(/(^|\s)\/app(?=\/|$)/g, `$1${root}`);
    // URLs: host and port; the compose database by this run's name.
    s = s.replace(
      /(\w+:\/\/(?:[^@/\s]*@)?)([A-Za-z0-9.-]+)(?::(\d+))?(\/[^\s]*)?/g,
      (_m, scheme, host, port, rest = '') =>
        `${scheme}${hosts.get(host) ?? host}${port ? `:${ports.get(port) ?? port}` : ''}${
          rest === '/condorhub' ? `/${database}` : rest
        }`,
    );
    return ports.get(s) ?? (s === 'condorhub' ? database : s);
  }

  async function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
  }

  /** The container's environment (health checks run with it too), as it reads here. */
  function nativeEnv(name: string): Record<string, string> {
    const env: Record<string, string> = { PATH: process.env.PATH!, HOME: os.homedir(), LANG: 'C.UTF-8' };
    for (const [k, v] of Object.entries(services[name].environment ?? {})) env[k] = native(v);
    // The compose network's private ranges are loopback here: the proxy reaches the others from 127.0.0.1.
    if (env.CONDORHUB_TRUSTED_PROXIES) env.CONDORHUB_TRUSTED_PROXIES += ',127.0.0.1';
    return env;
  }

  function start(name: string) {
    const s = services[name];
    const argv = [...(ENTRYPOINT[s.image ?? ''] ?? []), ...s.command!].map(native);
    const bin = argv[0] === 'node' ? process.execPath : argv[0];
    const env = nativeEnv(name);
    const child = spawn(bin, argv.slice(1), { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    procs.push({ name, child, output: () => out });
  }

  /** The service's health check command, run here until it passes. */
  async function healthy(name: string, timeoutMs = 120_000): Promise<void> {
    const [, cmd, ...args] = services[name].healthcheck!.test.map(native);
    const bin = cmd === 'node' ? process.execPath : cmd;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = spawnSync(bin, args, { cwd: root, env: nativeEnv(name), encoding: 'utf8', timeout: 10_000 });
      if (r.status === 0) return;
      const p = procs.find((x) => x.name === name);
      if (p && p.child.exitCode !== null) assert.fail(`${name} exited ${p.child.exitCode}:\n${p.output()}`);
      if (Date.now() > deadline)
        assert.fail(`${name}: health check ${cmd} ${args.join(' ')} still failing: ${r.stderr}\n${p?.output() ?? ''}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  }

  before(async () => {
    services = loadCompose(SECRETS);
    // Service names, and condor-sim's aliases as its worker hosts on 127.0.0.2 onwards.
    hosts = new Map(Object.keys(services).map((n) => [n, '127.0.0.1']));
    (services['condor-sim'].networks?.default?.aliases ?? []).forEach((a, i) => hosts.set(a, `127.0.0.${2 + i}`));
    // Ports the natively run services listen on: as in the file when free here.
    ports = new Map();
    const listened = new Set<string>();
    for (const s of Object.values(services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) if (/_PORT$/.test(k) && v !== '0') listened.add(v);
      const cmd = s.command ?? [];
      cmd.forEach((a, i) => (['-p', '-m', '--port'].includes(a) ? listened.add(cmd[i + 1]) : undefined));
    }
    for (const p of listened) ports.set(p, String((await portFree(Number(p))) ? p : await freePort()));
    for (const [name, s] of Object.entries(services))
      for (const v of name === 'postgres' ? [] : (s.volumes ?? [])) {
        const [vol, target] = v.split(':');
        if (!/^[a-z]/.test(vol) || volumes.has(target)) continue;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `compose-${vol}-`));
        fs.chmodSync(dir, 0o755);
        volumes.set(target, dir);
      }
    proxyUrl = `http://127.0.0.1:${ports.get(services.proxy.environment!.CONDORHUB_PROXY_PORT)}`;
    const c = adminClient();
    await c.connect();
    await c.query(`CREATE DATABASE ${database}`);
    await c.end();
    ensureUser(USER);

    // Infrastructure first, as depends_on orders it: the shared PostgreSQL stands in for the
    // postgres container (its health check runs against it); nats runs its own command.
    await healthy('postgres');
    start('nats');
    start('condor-sim');
    await healthy('nats');
    await healthy('condor-sim');
    for (const name of ['projector', 'spawner', 'condor-poller', 'port-registry', 'hub', 'proxy']) start(name);
    for (const name of ['projector', 'spawner', 'condor-poller', 'port-registry', 'hub', 'proxy']) await healthy(name);
  });

  after(async () => {
    const sim = procs.find((p) => p.name === 'condor-sim');
    for (const p of procs.reverse()) if (p !== sim) p.child.kill('SIGTERM');
    await Promise.all(
      procs.map(
        (p) =>
          p.child.exitCode === null &&
          new Promise<void>((resolve) => {
            const t = setTimeout(() => (p.child.kill('SIGKILL'), resolve()), 15_000);
            p.child.once('exit', () => (clearTimeout(t), resolve()));
            if (p === sim) {
              // Its jobs too (`stop --kill-jobs`), then the daemon is gone.
              spawnSync(process.execPath, [path.join(root, 'tools/condor-sim/bin/condor-sim'), 'stop', '--kill-jobs'], {
                env: { ...process.env, CONDOR_SIM_HOME: native('/var/lib/condor-sim') },
                timeout: 15_000,
              });
            }
          }),
      ),
    );
    const c = adminClient();
    await c.connect().catch(() => undefined);
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await c.end().catch(() => undefined);
    for (const dir of volumes.values()) fs.rmSync(dir, { recursive: true, force: true });
  });

  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${proxyUrl}/hub/api${p}`, {
      ...init,
      headers: { authorization: `token ${SECRETS.CONDORHUB_ADMIN_TOKEN}`, ...(init.headers ?? {}) },
      signal: AbortSignal.timeout(30_000),
    });

  it('every health check passes (checked in before), and each service answers /health through its port', async () => {
    for (const name of ['hub', 'proxy', 'port-registry', 'projector', 'spawner', 'condor-poller']) {
      const url = native(services[name].healthcheck!.test.at(-1)!).replace(/\/ready$/, '/health');
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200, `${name} ${url}`);
    }
  });

  it('a spawn becomes ready on a condor-sim worker and the notebook answers through the proxy', async () => {
    const created = await api(`/users/${USER}`, { method: 'POST' });
    assert.ok([201, 409].includes(created.status), `create user: ${created.status}`);
    const started = await api(`/users/${USER}/server`, { method: 'POST', body: '{}' });
    assert.ok([201, 202].includes(started.status), `start: ${started.status} ${await started.text()}`);
    let model: any;
    for (const deadline = Date.now() + 180_000; ;) {
      model = await (await api(`/users/${USER}`)).json();
      const server = model.servers?.[''];
      if (server?.ready) break;
      assert.ok(Date.now() < deadline, `not ready: ${JSON.stringify(model)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    // On one of condor-sim's workers (the aliases, here 127.0.0.2 onwards).
    const workers = [...hosts].filter(([n]) => n.startsWith('worker')).map(([, ip]) => ip);
    assert.ok(
      workers.some((ip) => JSON.stringify(model.servers['']).includes(ip)),
      JSON.stringify(model.servers['']),
    );
    const nb = await fetch(`${proxyUrl}/user/${USER}/api`, {
      headers: { authorization: `token ${SECRETS.CONDORHUB_ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(nb.status, 200);
    assert.match(String(((await nb.json()) as any).version), /^\d+\.\d+/);
    const stop = await api(`/users/${USER}/server`, { method: 'DELETE' });
    assert.ok([202, 204].includes(stop.status), `stop: ${stop.status}`);
  });

  it('the demo login refuses a wrong password and takes the configured one', async () => {
    const login = async (password: string) => {
      const page = await fetch(`${proxyUrl}/hub/login`, { signal: AbortSignal.timeout(10_000) });
      const cookie = page.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const xsrf = /name="_xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
      assert.ok(xsrf, 'the login form has a CSRF token');
      return fetch(`${proxyUrl}/hub/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams({ username: USER, password, _xsrf: xsrf, next: '/hub/home' }).toString(),
        signal: AbortSignal.timeout(10_000),
      });
    };
    const wrong = await login('not-the-password');
    assert.notEqual(wrong.status, 303);
    assert.ok(!wrong.headers.getSetCookie().some((c) => c.startsWith('condorhub-session=')));
    const right = await login(SECRETS.CONDORHUB_DUMMY_PASSWORD);
    assert.equal(right.status, 303);
    assert.ok(right.headers.getSetCookie().some((c) => c.startsWith('condorhub-session=')));
  });
});
