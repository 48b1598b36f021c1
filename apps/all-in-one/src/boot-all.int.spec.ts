import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplicationContext } from '@nestjs/common';
import { loadConfig } from '@condorhub/config';
import {
  type TestDatabase,
  type TestNats,
  createTestDatabase,
  createTestNats,
  freePort,
  serviceEnv,
} from '@condorhub/testing';
import { bootAll } from './boot-all';

// `npm start` on a fresh database: nothing but the services' own start-up creates their tables.
// (The pipeline harness migrates every table itself, so it cannot notice a service that doesn't.)
describe('every service in one process, on a fresh schema', () => {
  let t: TestDatabase;
  let n: TestNats;
  let apps: INestApplicationContext[] = [];

  after(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await n?.drop();
    await t?.drop();
  });

  it("creates every service's own tables when it starts", async () => {
    t = await createTestDatabase('boot_all');
    n = await createTestNats('boot_all');
    const config = loadConfig({
      ...serviceEnv(t, n),
      CONDORHUB_PROXY_PORT: String(await freePort()),
      CONDORHUB_HUB_PORT: String(await freePort()),
      CONDORHUB_PORT_REGISTRY_PORT: String(await freePort()),
      CONDORHUB_COOKIE_SECRET: 'boot-all-test-secret-0123456789abcdef',
      CONDORHUB_LOG_LEVEL: 'error',
      // No pool here: the poller's queries fail quietly, which changes nothing at start.
      CONDORHUB_CONDOR_BIN: '/nonexistent',
    });
    const missing = async (tables: string[]) => {
      const { rows } = await t.pool.query<{ name: string }>(
        `SELECT name FROM unnest($1::text[]) AS name WHERE to_regclass($2 || '.' || name) IS NULL`,
        [tables, t.schema],
      );
      return rows.map((r) => r.name);
    };
    const owned = ['spawner_submissions', 'servers', 'routes', 'api_tokens', 'oauth_codes'];
    assert.ok((await missing(owned)).length > 0, 'the schema starts without the services’ tables');
    apps = await bootAll(config);
    assert.deepEqual(await missing(owned), []);
  });
});
