import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Config } from '@condorhub/config';

const ROOT = path.resolve(__dirname, '../..');

/**
 * condorhub's services as separate Node processes, as docker-compose runs them (one event loop
 * and one session each), instead of all in the bench's process. Config goes over the environment, as in
 * production; each child says it is ready over IPC (runService).
 */
export async function startServiceProcesses(
  config: Config,
  services: string[],
  timeoutMs = 60_000,
): Promise<{ pids: number[]; stop(): Promise<void> }> {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === null) continue;
    env[key] = Array.isArray(value) ? value.join(',') : String(value);
  }
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill('SIGKILL'), 10_000);
            c.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  };
  try {
    for (const service of services) {
      const child = fork(path.join(ROOT, 'apps', service, 'src/main.ts'), [], {
        env,
        execArgv: ['-r', path.join(ROOT, 'tools/register.js')],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // Its own session, as a container or a systemd unit gets: with the kernel's autogroup
        // scheduling each service then has its own CPU share, not one shared with the bench.
        detached: true,
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${service} not ready within ${timeoutMs} ms`)), timeoutMs);
        child.once('message', () => {
          clearTimeout(t);
          resolve();
        });
        child.once('exit', (code) => {
          clearTimeout(t);
          reject(new Error(`${service} exited with ${code} before it was ready`));
        });
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { pids: children.map((c) => c.pid!), stop };
}
