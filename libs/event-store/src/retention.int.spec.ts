import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { RetentionPruner, markProcessed, pruneProcessed, scheduleMessage } from './index';

const DAY = 86_400;

describe('inbox and fired-timer retention (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('retention')));
  after(async () => t.drop());

  /** Backdates rows, as if they had been written `ageS` ago. */
  const age = async (table: 'inbox' | 'scheduled_messages', where: string, params: unknown[], ageS: number) => {
    const column = table === 'inbox' ? 'processed_at' : 'fired_at';
    await t.pool.query(`UPDATE ${table} SET ${column} = now() - make_interval(secs => ${ageS}) WHERE ${where}`, params);
  };

  it('prunes only inbox rows and fired timers older than the retention, in small batches, and idempotency holds within it', async () => {
    const old = Array.from({ length: 5 }, () => randomUUID());
    const recent = randomUUID();
    for (const id of [...old, recent]) assert.equal(await markProcessed(t.pool, 'spawner', id), true);
    await age('inbox', 'event_id = ANY ($1::uuid[])', [old], 15 * DAY);
    await age('inbox', 'event_id = $1', [recent], 13 * DAY);

    const stream = serverStreamId('alice', '');
    const spawnId = randomUUID();
    const timer = (key: string) =>
      scheduleMessage(
        t.pool,
        key,
        stream,
        newEvent('IdleTimedOut', { spawnId, waitedS: 1 }),
        new Date(Date.now() - 1_000),
      );
    for (const key of ['fired-old', 'fired-recent', 'due-long-ago']) await timer(key);
    await t.pool.query(
      `UPDATE scheduled_messages SET fired_at = now() WHERE timer_key IN ('fired-old', 'fired-recent')`,
    );
    await age('scheduled_messages', `timer_key = 'fired-old'`, [], 15 * DAY);
    // Never fired (the scheduler was down): not a candidate, however old.
    await t.pool.query(
      `UPDATE scheduled_messages SET due_at = now() - interval '30 days' WHERE timer_key = 'due-long-ago'`,
    );

    const result = await pruneProcessed(t.pool, 14 * DAY, 2);
    assert.deepEqual(result, { inbox: 5, firedTimers: 1 });
    const inbox = await t.pool.query('SELECT event_id FROM inbox');
    assert.deepEqual(
      inbox.rows.map((r) => r.event_id),
      [recent],
    );
    const timers = await t.pool.query('SELECT timer_key FROM scheduled_messages ORDER BY timer_key');
    assert.deepEqual(
      timers.rows.map((r) => r.timer_key),
      ['due-long-ago', 'fired-recent'],
    );
    // The row that stays still makes a redelivery of its event a no-op.
    assert.equal(await markProcessed(t.pool, 'spawner', recent), false);
    assert.deepEqual(await pruneProcessed(t.pool, 14 * DAY), { inbox: 0, firedTimers: 0 });
    await assert.rejects(pruneProcessed(t.pool, 0), /invalid retention/);
  });

  it('the periodic pruner runs a pass on demand and reports what it removed', async () => {
    await t.pool.query('DELETE FROM inbox');
    const id = randomUUID();
    await markProcessed(t.pool, 'spawner', id);
    await age('inbox', 'event_id = $1', [id], 3 * DAY);
    const reports: unknown[] = [];
    const pruner = new RetentionPruner(t.pool, { retentionS: 2 * DAY, onPruned: (r) => reports.push(r) });
    pruner.start();
    await pruner.runOnce();
    await pruner.stop();
    assert.deepEqual(reports, [{ inbox: 1, firedTimers: 0 }]);
  });
});
