import type { INestApplicationContext } from '@nestjs/common';
import path from 'node:path';
import { type Config, loadConfig } from '@condorhub/config';
import { type EventEnvelope, serverStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { readModelMigrations } from '@condorhub/read-models';
import {
  type TestDatabase,
  type TestNats,
  createTestDatabase,
  createTestNats,
  freePort,
  serviceEnv,
} from '@condorhub/testing';
import { tokenMigrations } from '@condorhub/tokens';
import { type CondorSim, type CondorSimOptions, startCondorSim } from '../../../../tools/condor-sim/harness';
import { spawnerMigrations } from '../../../spawner/src/migrations';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');
export const STAND_IN_NOTEBOOK = path.join(REPO_ROOT, 'apps/all-in-one/src/testing/stand-in-notebook.py');

export interface TestCondorhub {
  config: Config;
  db: TestDatabase;
  nats: TestNats;
  sim: CondorSim;
  apps: INestApplicationContext[];
  events(user: string, serverName?: string): Promise<EventEnvelope[]>;
  waitForEvent(user: string, serverName: string, type: string, timeoutMs?: number): Promise<EventEnvelope>;
  close(): Promise<void>;
}

/**
 * condorhub against a fresh schema, its own JetStream stream and prefix, and a private
 * condor-sim: what an end-to-end or pipeline test boots. `boot` starts the services wanted.
 */
export async function createTestCondorhub(opts: {
  label: string;
  sim?: CondorSimOptions;
  env?: Record<string, string>;
  boot: (config: Config) => Promise<INestApplicationContext[]>;
}): Promise<TestCondorhub> {
  const db = await createTestDatabase(opts.label, [...readModelMigrations, ...tokenMigrations, ...spawnerMigrations]);
  const nats = await createTestNats(opts.label);
  const sim = startCondorSim({ hosts: 2, slots: 4, delayMs: 200, ...opts.sim });
  // The condor tools find the sim through the environment they inherit.
  Object.assign(process.env, sim.env);
  const proxyPort = await freePort();
  const config = loadConfig({
    ...serviceEnv(db, nats),
    CONDORHUB_PROXY_PORT: String(proxyPort),
    CONDORHUB_PUBLIC_URL: `http://127.0.0.1:${proxyPort}`,
    CONDORHUB_HUB_PORT: String(await freePort()),
    CONDORHUB_PORT_REGISTRY_PORT: String(await freePort()),
    CONDORHUB_CONDOR_BIN: sim.binDir,
    CONDORHUB_CONDOR_PREFIX: 'runuser -u {user} --',
    CONDORHUB_CONDOR_TIMEOUT_S: '10',
    CONDORHUB_NOTEBOOK_CMD: `python3 ${STAND_IN_NOTEBOOK}`,
    CONDORHUB_LOG_LEVEL: process.env.CONDORHUB_LOG_LEVEL ?? 'warn',
    CONDORHUB_ADMIN_TOKEN: 'admin-token-for-tests-0123456789',
    CONDORHUB_COOKIE_SECRET: 'cookie-secret-for-tests-0123456789abcdef',
    ...opts.env,
  });
  const apps: INestApplicationContext[] = [];
  const events = (user: string, serverName = '') => readStream(db.pool, serverStreamId(user, serverName));
  const handle: TestCondorhub = {
    config,
    db,
    nats,
    sim,
    apps,
    events,
    async waitForEvent(user, serverName, type, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = (await events(user, serverName)).find((e) => e.type === type);
        if (found) return found;
        if (Date.now() > deadline) {
          const seen = (await events(user, serverName)).map((e) => e.type).join(', ');
          throw new Error(`no ${type} on ${serverStreamId(user, serverName)} within ${timeoutMs} ms; seen: ${seen}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      for (const app of apps.reverse()) await app.close().catch(() => undefined);
      sim.stop();
      await nats.drop();
      await db.drop();
    },
  };
  try {
    apps.push(...(await opts.boot(config)));
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle;
}
