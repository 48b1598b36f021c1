// Starts a private condor-sim for one test file or bench run, and always cleans it up.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CONDOR_SIM_BIN = path.join(__dirname, 'bin');
const CTL = path.join(CONDOR_SIM_BIN, 'condor-sim');

export interface CondorSimOptions {
  hosts?: number;
  slots?: number;
  delayMs?: number;
  staticSlots?: boolean;
  rootOwner?: string;
  /** Reuse a home (restart tests); default: a fresh dir under os.tmpdir(). */
  home?: string;
  /** Extra config.json keys (e.g. faults). */
  config?: Record<string, unknown>;
}

export interface CondorSim {
  home: string;
  binDir: string;
  /** Environment for the condor_* tools (pass to CondorClient's `env`). */
  env: Record<string, string>;
  ctl(...args: string[]): string;
  fault(kind: string, opts?: Record<string, string | number | boolean>): { id: number };
  clearFaults(): void;
  status(): any;
  /** Daemon only (jobs keep running, adopted on restart). */
  stopDaemon(): void;
  start(): void;
  /** Daemon and every job process; safe to call twice. */
  stop(): void;
}

export function startCondorSim(opts: CondorSimOptions = {}): CondorSim {
  const home = opts.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'condor-sim-'));
  fs.chmodSync(home, 0o755);
  const env = { CONDOR_SIM_HOME: home };
  const run = (...args: string[]) =>
    execFileSync(process.execPath, [CTL, ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  if (opts.config) {
    const file = path.join(home, 'config.json');
    const old = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
    fs.writeFileSync(file, JSON.stringify({ ...old, ...opts.config }));
  }
  const startArgs = ['start'];
  if (opts.hosts) startArgs.push('--hosts', String(opts.hosts));
  if (opts.slots) startArgs.push('--slots', String(opts.slots));
  if (opts.delayMs !== undefined) startArgs.push('--delay-ms', String(opts.delayMs));
  if (opts.staticSlots) startArgs.push('--static');
  if (opts.rootOwner) startArgs.push('--root-owner', opts.rootOwner);
  let stopped = false;
  const stopAll = () => {
    if (stopped) return;
    stopped = true;
    spawnSync(process.execPath, [CTL, 'stop', '--kill-jobs'], { env: { ...process.env, ...env }, timeout: 15_000 });
  };
  // A failing or interrupted test still kills its daemon and jobs.
  process.once('exit', stopAll);
  run(...startArgs);
  return {
    home,
    binDir: CONDOR_SIM_BIN,
    env,
    ctl: run,
    fault(kind, o = {}) {
      const args = ['fault', 'add', kind];
      for (const [k, v] of Object.entries(o)) {
        if (v === true) args.push(`--${k}`);
        else if (v !== false) args.push(`--${k}`, String(v));
      }
      return JSON.parse(run(...args)).fault;
    },
    clearFaults() {
      run('fault', 'clear');
    },
    status() {
      return JSON.parse(run('status'));
    },
    stopDaemon() {
      run('stop');
    },
    start() {
      stopped = false;
      run('start');
    },
    stop: stopAll,
  };
}

/** A real OS account for jobs (the sim runs them as their owner); created once, reused. */
export function ensureUser(name: string): { uid: number; gid: number; home: string } {
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    if (r.status === 0) break;
    const add = spawnSync('useradd', ['-m', '-s', '/bin/sh', name], { encoding: 'utf8' });
    // 9: exists (a parallel test created it); 10: passwd file locked by a parallel useradd.
    if (add.status === 0 || add.status === 9) break;
    if (attempt > 20) throw new Error(`useradd ${name} failed: ${add.stderr}`);
    execFileSync('sleep', ['0.2']);
  }
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))!;
  const p = line.split(':');
  return { uid: Number(p[2]), gid: Number(p[3]), home: p[5] };
}

/** A directory the user owns, for job output. */
export function userDir(user: string, parent: string): string {
  const { uid, gid } = ensureUser(user);
  const dir = fs.mkdtempSync(path.join(parent, `${user}-`));
  fs.chownSync(dir, uid, gid);
  fs.chmodSync(dir, 0o755);
  return dir;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
