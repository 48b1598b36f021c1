import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { openReadModels } from '../data-source';
import { readModelMigrations } from '../migrations';
import { countSpawnAttempts } from './count-spawn-attempts';
import { countSpawnFailures } from './count-spawn-failures';
import { listDesiredRoutes } from './list-desired-routes';
import { listJobServers } from './list-job-servers';
import { listServersInPhase } from './list-servers-in-phase';

const ids = ['1', '2', '3', '4'].map((n) => `00000000-0000-4000-8000-00000000000${n}`);

describe('named reads of the read models (real PostgreSQL)', () => {
  let t: TestDatabase;
  let ds: DataSource;
  before(async () => {
    t = await createTestDatabase('read_model_queries', readModelMigrations);
    ds = await openReadModels({ ...t.db, max: 2 });
    const server = (user: string, phase: string, spawnId: string, jobId: string | null, state: object = {}) =>
      t.pool.query(
        `INSERT INTO servers (user_name, server_name, stream_id, stream_version, spawn_id, phase, job_id, host, port, state)
         VALUES ($1, '', 'server-' || $1 || '/', 1, $2, $3, $4, 'n1', 8888, $5)`,
        [user, spawnId, phase, jobId, state],
      );
    await server('ann', 'port-reported', ids[0], '1.0');
    await server('bob', 'stopped', ids[1], '2.0');
    await server('cy', 'queued', ids[2], '3.0', { heldReason: 'disk full' });
    await server('dee', 'requested', ids[3], null);
    await t.pool.query(
      `INSERT INTO routes (route_spec, spawn_id, target, owner, server_name, state, requested_position, requested_at)
       VALUES ('/user/ann/', $1, 'http://n1:8888', 'ann', '', 'added', 42, now())`,
      [ids[0]],
    );
    const attempt = (spawnId: string, outcome: string, diagnosis: string | null, daysAgo: number) =>
      t.pool.query(
        `INSERT INTO spawn_attempts (spawn_id, user_name, server_name, outcome, stage, diagnosis, requested_at)
         VALUES ($1, 'ann', '', $2, 'submit', $3, now() - make_interval(days => $4))`,
        [spawnId, outcome, diagnosis, daysAgo],
      );
    await attempt(ids[0], 'failed', 'no-slots', 0);
    await attempt(ids[1], 'failed', 'no-slots', 0);
    await attempt(ids[2], 'failed', null, 0);
    await attempt(ids[3], 'failed', 'no-slots', 3);
  });
  after(async () => {
    await ds?.destroy();
    await t?.drop();
  });

  it('lists the servers in a phase with where their notebook is', async () => {
    assert.deepEqual(await listServersInPhase(t.pool, 'port-reported'), [
      { user: 'ann', serverName: '', spawnId: ids[0], host: 'n1', port: 8888 },
    ]);
    assert.deepEqual(await listServersInPhase(t.pool, 'ready'), []);
  });

  it('lists the servers of live jobs, and of the jobs asked about in any phase', async () => {
    const jobs = (rows: { jobId: string }[]) => rows.map((r) => r.jobId).sort();
    assert.deepEqual(jobs(await listJobServers(t.pool, [])), ['1.0', '3.0']);
    assert.deepEqual(jobs(await listJobServers(t.pool, ['2.0', '9.0'])), ['1.0', '2.0', '3.0']);
    const held = (await listJobServers(t.pool, [])).find((r) => r.jobId === '3.0');
    assert.deepEqual(held, {
      jobId: '3.0',
      spawnId: ids[2],
      streamId: 'server-cy/',
      phase: 'queued',
      heldReason: 'disk full',
    });
  });

  it('lists the desired routes with their generation', async () => {
    assert.deepEqual(await listDesiredRoutes(t.pool), [
      {
        routeSpec: '/user/ann/',
        spawnId: ids[0],
        target: 'http://n1:8888',
        owner: 'ann',
        serverName: '',
        state: 'added',
        generation: 42,
      },
    ]);
  });

  it('counts spawn attempts and failures since a time', async () => {
    const since = new Date(Date.now() - 86_400_000);
    assert.equal(await countSpawnAttempts(ds, since), 3);
    assert.deepEqual(await countSpawnFailures(ds, since), [
      { diagnosis: 'no-slots', stage: 'submit', count: 2 },
      { diagnosis: null, stage: 'submit', count: 1 },
    ]);
  });
});
