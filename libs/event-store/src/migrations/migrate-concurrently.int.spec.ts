import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { TEST_DATABASE_URL } from '@condorhub/testing';
import { createPool } from '../db';
import { eventStoreMigrations } from '../index';
import { migrate } from './migration';

// Every service migrates at start-up; in a fresh deployment (docker compose up) they all start
// at once on an empty database: each migration must be applied exactly once and none may fail.
describe('migrate from several processes at once on an empty schema', () => {
  const pools: Pool[] = [];
  after(async () => {
    await pools[0]?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
  });
  const schema = `t_migrate_race_${randomBytes(4).toString('hex')}`;

  it('applies every migration once, with no error in any of them', async () => {
    for (let i = 0; i < 6; i++) pools.push(createPool({ url: TEST_DATABASE_URL, schema, max: 1 }));
    const results = await Promise.allSettled(pools.map((p) => migrate(p, schema, eventStoreMigrations)));
    const failed = results
      .filter((r) => r.status === 'rejected')
      .map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);
    const applied = results.flatMap((r) => (r as PromiseFulfilledResult<string[]>).value).sort();
    assert.deepEqual(applied, eventStoreMigrations.map((m) => m.id).sort());
  });
});
