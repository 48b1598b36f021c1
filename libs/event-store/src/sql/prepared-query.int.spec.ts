import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { createPool } from '../db';
import { appendToStream } from './append-to-stream';
import { BEGINNING, readAllForward } from './read-all-forward';

const idle = () => newEvent('JobIdle', { spawnId: randomUUID(), jobId: '1.0' });

// readAllForward runs as a prepared statement (planned once per connection): its read horizon
// must still come from each execution's snapshot, also under the generic plan PostgreSQL
// switches to after a few executions.
describe('the log read as a prepared statement (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase('prepared_read');
  });
  after(async () => t?.drop());

  it('holds back events behind an open older transaction and sees them once it ends, under the generic plan', async () => {
    // One connection, so every read below runs the statement prepared on it.
    const reader = createPool({ ...t.db, max: 1, applicationName: 'test:prepared-reader' });
    const blocker = await t.pool.connect();
    try {
      await reader.query('SET plan_cache_mode = force_generic_plan');
      for (let i = 0; i < 6; i++) assert.deepEqual(await readAllForward(reader, BEGINNING), []);

      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      const later = await appendToStream(t.pool, serverStreamId('erin', ''), [idle()]);
      assert.deepEqual(await readAllForward(reader, BEGINNING), [], 'not readable while an older transaction is open');

      await blocker.query('COMMIT');
      const read = await readAllForward(reader, BEGINNING);
      assert.deepEqual(
        read.map((e) => e.globalPosition),
        [later.lastPosition],
      );
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
      await reader.end();
    }
  });
});
