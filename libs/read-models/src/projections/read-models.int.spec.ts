import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { type NewEvent, newEvent, nodeStreamId, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { NodeRow, RouteRow, ServerRow, SpawnAttemptRow, openReadModels, readModelMigrations } from '../index';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { rebuildReadModels } from '../rebuild-read-models';
import { createReadModelsProcessor } from './read-models.processor';

const readyPath = (spawnId: string, user: string, host: string, port: number, serverName = ''): NewEvent[] => {
  const prefix = serverName ? `/user/${user}/${serverName}/` : `/user/${user}/`;
  const target = `http://${host}:${port}`;
  return [
    newEvent('SpawnRequested', { spawnId, user, serverName, options: { cpus: 1 }, requestedBy: user }),
    newEvent('JobSubmitted', { spawnId, jobId: `${port}.0`, submitHost: 'sim' }),
    newEvent('JobIdle', { spawnId, jobId: `${port}.0` }),
    newEvent('JobRunning', { spawnId, jobId: `${port}.0`, host, slot: `slot1@${host}` }),
    newEvent('PortReported', { spawnId, host, port }),
    newEvent('NotebookResponded', { spawnId, url: `${target}${prefix}api`, version: '6.4.12', status: 200 }),
    newEvent('RouteRequested', { spawnId, routeSpec: prefix, target, owner: user }),
    newEvent('RouteAdded', { spawnId, routeSpec: prefix, target }),
    newEvent('ServerReady', { spawnId, url: prefix }),
  ];
};

describe('read models (real PostgreSQL, TypeORM)', () => {
  let t: TestDatabase;
  let ds: DataSource;
  before(async () => {
    t = await createTestDatabase('read_models', readModelMigrations);
    ds = await openReadModels(t.db);
  });
  after(async () => {
    await ds?.destroy();
    await t?.drop();
  });

  async function project() {
    const p = createReadModelsProcessor({ pool: t.pool, db: t.db, dataSource: ds });
    p.start();
    await p.caughtUp();
    await p.stop();
  }

  it('projects servers, routes, nodes and spawn attempts, and a rebuild from zero equals the live tables', async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const carol = randomUUID();
    await appendToStream(t.pool, serverStreamId('alice', ''), readyPath(alice, 'alice', '127.0.0.2', 41000));
    await appendToStream(t.pool, serverStreamId('alice', 'gpu'), [
      newEvent('SpawnRequested', {
        spawnId: carol,
        user: 'alice',
        serverName: 'gpu',
        options: {},
        requestedBy: 'alice',
      }),
      newEvent('JobSubmitted', { spawnId: carol, jobId: '7.0', submitHost: 'sim' }),
      newEvent('IdleTimedOut', { spawnId: carol, waitedS: 300 }),
      newEvent('SpawnFailed', {
        spawnId: carol,
        stage: 'queue',
        diagnosis: 'never-scheduled',
        userMessage: 'No worker node took the job in time.',
      }),
      newEvent('JobRemovalRequested', { spawnId: carol, jobId: '7.0' }),
      newEvent('ServerStopped', { spawnId: carol, reason: 'spawn failed' }),
    ]);
    await project();
    // The slot is reused: bob's notebook gets alice's old host:port. Alice's route must go.
    await appendToStream(t.pool, serverStreamId('bob', ''), readyPath(bob, 'bob', '127.0.0.2', 41000));
    await appendToStream(t.pool, nodeStreamId('127.0.0.3'), [
      newEvent('NodeStrikeRecorded', { host: '127.0.0.3', spawnId: carol, reason: 'no port report' }),
      newEvent('NodeQuarantined', { host: '127.0.0.3', reason: '2 strikes in 30 min', strikes: 2 }),
    ]);
    await project();

    const servers = await ds.getRepository(ServerRow).find({ order: { userName: 'ASC', serverName: 'ASC' } });
    assert.deepEqual(
      servers.map((s) => [s.userName, s.serverName, s.phase]),
      [
        ['alice', '', 'ready'],
        ['alice', 'gpu', 'stopped'],
        ['bob', '', 'ready'],
      ],
    );
    assert.equal(servers[1].state.failure?.diagnosis, 'never-scheduled');
    const routes = await ds.getRepository(RouteRow).find();
    assert.deepEqual(
      routes.map((r) => [r.routeSpec, r.owner, r.target, r.state]),
      [['/user/bob/', 'bob', 'http://127.0.0.2:41000', 'added']],
    );
    const node = await ds.getRepository(NodeRow).findOneByOrFail({ host: '127.0.0.3' });
    assert.equal(node.state, 'quarantined');
    const attempts = await ds.getRepository(SpawnAttemptRow).find();
    assert.equal(attempts.find((a) => a.spawnId === carol)?.outcome, 'failed');
    assert.equal(attempts.find((a) => a.spawnId === alice)?.outcome, 'ready');

    const rebuilt = await rebuildReadModels(t.db);
    assert.equal(rebuilt.events, 26);
    assert.deepEqual(rebuilt.differences, []);
  });

  it('a late RouteRequested of an older spawn does not overwrite the newer route', async () => {
    const old = randomUUID();
    const fresh = randomUUID();
    const stream = serverStreamId('dave', '');
    const spawn = (spawnId: string) =>
      newEvent('SpawnRequested', { spawnId, user: 'dave', serverName: '', options: {}, requestedBy: 'dave' });
    const route = (spawnId: string, port: number) =>
      newEvent('RouteRequested', {
        spawnId,
        routeSpec: '/user/dave/',
        target: `http://127.0.0.4:${port}`,
        owner: 'dave',
      });
    await appendToStream(t.pool, stream, [
      spawn(old),
      route(old, 6000),
      newEvent('ServerStopped', { spawnId: old, reason: 'stopped' }),
      spawn(fresh),
      route(fresh, 5000),
    ]);
    await project();
    // Appended later, about the older spawn (a retried write, a confused writer): ignored.
    await appendToStream(t.pool, stream, [route(old, 6000)]);
    await project();
    const row = await ds.getRepository(RouteRow).findOneByOrFail({ routeSpec: '/user/dave/' });
    assert.equal(row.spawnId, fresh);
    assert.equal(row.target, 'http://127.0.0.4:5000');
  });
});
