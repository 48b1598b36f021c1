// `npm start`: condorhub in one process, on condor-sim when no real pool is configured.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@condorhub/config';
import { startCondorSim } from '../../../tools/condor-sim/harness';
import { bootAll } from './boot-all';

const repo = path.resolve(__dirname, '../../..');

async function main() {
  const env = { ...process.env };
  const onSim = !env.CONDORHUB_CONDOR_BIN;
  if (onSim) {
    const home = env.CONDOR_SIM_HOME ?? path.join(repo, '.condor-sim');
    fs.mkdirSync(home, { recursive: true });
    const sim = startCondorSim({ home, hosts: Number(env.CONDOR_SIM_HOSTS ?? 3), slots: 4, delayMs: 1000 });
    Object.assign(process.env, sim.env);
    env.CONDORHUB_CONDOR_BIN = sim.binDir;
    env.CONDORHUB_CONDOR_PREFIX ??= `${path.join(sim.binDir, 'run-as-user')} {user}`;
    console.log(`condor-sim: ${home} (3 hosts on 127.0.0.2-4; no CONDORHUB_CONDOR_BIN configured)`);
  }
  const hasJupyter = spawnSync('sh', ['-c', 'command -v jupyterhub-singleuser'], { encoding: 'utf8' }).status === 0;
  if (!env.CONDORHUB_NOTEBOOK_CMD && !hasJupyter) {
    env.CONDORHUB_NOTEBOOK_CMD = `python3 ${path.join(repo, 'apps/all-in-one/src/testing/stand-in-notebook.py')}`;
    console.log('jupyterhub-singleuser is not installed: servers run a stand-in notebook (apt-get install jupyterhub)');
  }
  if (!env.CONDORHUB_COOKIE_SECRET) {
    env.CONDORHUB_COOKIE_SECRET = randomBytes(32).toString('hex');
    console.log('CONDORHUB_COOKIE_SECRET not set: generated one for this run (sessions end at restart)');
  }
  if (!env.CONDORHUB_ADMIN_TOKEN) {
    env.CONDORHUB_ADMIN_TOKEN = randomBytes(24).toString('hex');
    console.log(`CONDORHUB_ADMIN_TOKEN not set: this run's admin token is ${env.CONDORHUB_ADMIN_TOKEN}`);
  }
  const config = loadConfig(env);
  const apps = await bootAll(config, (name) => console.log(`started ${name}`));
  console.log(`\ncondorhub is up: open ${config.CONDORHUB_PUBLIC_URL}/hub/\n`);
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: stopping`);
    setTimeout(() => process.exit(1), 15_000).unref();
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void close('SIGINT'));
  process.on('SIGTERM', () => void close('SIGTERM'));
}

main().catch((e) => {
  console.error(`condorhub: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
