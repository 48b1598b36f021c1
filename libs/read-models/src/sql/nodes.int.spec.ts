import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { listNodes, quarantinedHosts, readModelMigrations } from '../index';

describe('node read model queries (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase('node_queries', readModelMigrations);
    const node = (host: string, state: string, strikes: number, reason: string | null) =>
      t.pool.query(
        `INSERT INTO nodes (host, state, strikes, quarantine_reason, spawns_started) VALUES ($1, $2, $3, $4, $5)`,
        [host, state, JSON.stringify(Array.from({ length: strikes }, (_, i) => ({ spawnId: `s${i}` }))), reason, 3],
      );
    await node('127.0.0.3', 'quarantined', 2, '2 spawns of 2 users failed on this node within 30 min');
    await node('127.0.0.2', 'ok', 1, null);
  });
  after(async () => t?.drop());

  it('lists every node by host, with its strikes counted', async () => {
    assert.deepEqual(await listNodes(t.pool), [
      { host: '127.0.0.2', state: 'ok', strikes: 1, spawnsStarted: 3, quarantineReason: null },
      {
        host: '127.0.0.3',
        state: 'quarantined',
        strikes: 2,
        spawnsStarted: 3,
        quarantineReason: '2 spawns of 2 users failed on this node within 30 min',
      },
    ]);
  });

  it('names the quarantined hosts only', async () => {
    assert.deepEqual(await quarantinedHosts(t.pool), ['127.0.0.3']);
  });
});
