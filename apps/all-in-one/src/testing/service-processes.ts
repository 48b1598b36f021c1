import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Config } from '@condorhub/config';

const ROOT = path.resolve(__dirname, '../../../..');

/** The environment that hands `config` to a service's main (apps/<service>/src/main.ts), as in production. */
export function serviceProcessEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null) continue;
    env[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return env;
}

/**
 * One service as its own Node process, in its own session (as a container or a systemd unit
 * gets: with the kernel's autogroup scheduling it then has its own CPU share, and its process
 * group can be killed whole, proxy workers and condor tools with it). Resolves once the child
 * says it is ready over IPC (runService); rejects if it exits first or takes too long.
 */
export async function forkService(
  service: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
  /** Where its output goes: inherited, dropped, or an open file descriptor (a log file). */
  stdio: 'inherit' | 'ignore' | number = 'inherit',
): Promise<ChildProcess> {
  const child = fork(path.join(ROOT, 'apps', service, 'src/main.ts'), [], {
    env,
    execArgv: ['-r', path.join(ROOT, 'tools/register.js')],
    stdio: ['ignore', stdio, stdio, 'ipc'],
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${service} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', () => {
      clearTimeout(t);
      resolve();
    });
    child.once('exit', (code, signal) => {
      clearTimeout(t);
      reject(new Error(`${service} exited with ${signal ?? code} before it was ready`));
    });
  });
  return child;
}

/** Ends a service child: SIGTERM, then SIGKILL after 10 s. */
export function stopServiceProcess(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * condorhub's services as separate Node processes, as docker-compose runs them (one event loop
 * and one session each), instead of all in the caller's process. Config goes over the
 * environment, as in production; started one after another, each once the previous is ready.
 */
export async function startServiceProcesses(
  config: Config,
  services: string[],
  timeoutMs = 60_000,
): Promise<{ pids: number[]; stop(): Promise<void> }> {
  const env = serviceProcessEnv(config);
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopServiceProcess));
  };
  try {
    for (const service of services) children.push(await forkService(service, env, timeoutMs));
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: children.map((c) => c.pid!), stop };
}
