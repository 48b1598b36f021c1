import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import {
  DuplicateEventError,
  GROUP_MAX,
  WrongExpectedVersionError,
  appendToStream,
  createPool,
  readAllForward,
  readStream,
} from './index';

const idle = (n = 0) => newEvent('JobIdle', { spawnId: randomUUID(), jobId: `${n}.0` });

// Group commit (sql/append-grouped.ts): appends made at once on one pool share a transaction, yet
// each keeps its own outcome, exactly as if it had been sent alone.
describe('grouped appends on a pool (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('append_grouped')));
  after(async () => t.drop());

  it('sends appends issued together in one transaction, each with its own version and positions', async () => {
    const streams = Array.from({ length: 8 }, (_, i) => serverStreamId('gus', `g${i}-${randomUUID().slice(0, 6)}`));
    // Issued in the same turn: they travel in groups, so at least some share a transaction.
    const results = await Promise.all(streams.map((s, i) => appendToStream(t.pool, s, [idle(i), idle(i + 100)])));
    const txs = new Set(results.map((r) => r.transactionId));
    assert.ok(txs.size < streams.length, `expected shared transactions, got ${txs.size} for ${streams.length} appends`);
    for (const [i, s] of streams.entries()) {
      const stored = await readStream(t.pool, s);
      assert.deepEqual(
        stored.map((e) => e.streamVersion),
        [1, 2],
      );
      assert.equal(results[i].nextVersion, 2);
      assert.equal(stored[1].globalPosition, results[i].lastPosition);
      assert.equal(stored[1].transactionId, results[i].transactionId);
    }
  });

  it('fails only the item whose version is wrong or whose event id is taken; the rest of its group commits', async () => {
    const ok1 = serverStreamId('gus', `ok1-${randomUUID().slice(0, 6)}`);
    const ok2 = serverStreamId('gus', `ok2-${randomUUID().slice(0, 6)}`);
    const existing = serverStreamId('gus', `ex-${randomUUID().slice(0, 6)}`);
    const taken = randomUUID();
    await appendToStream(t.pool, existing, [idle()], { eventIds: [taken] });
    const settled = await Promise.allSettled([
      appendToStream(t.pool, ok1, [idle(1)], { expectedVersion: 'no_stream' }),
      appendToStream(t.pool, existing, [idle(2)], { expectedVersion: 'no_stream' }),
      appendToStream(t.pool, ok2, [idle(3)], { expectedVersion: 'no_stream' }),
      appendToStream(t.pool, serverStreamId('gus', `dup-${randomUUID().slice(0, 6)}`), [idle(4)], {
        eventIds: [taken],
      }),
    ]);
    assert.equal(settled[0].status, 'fulfilled');
    assert.equal(settled[2].status, 'fulfilled');
    assert.ok(settled[1].status === 'rejected' && settled[1].reason instanceof WrongExpectedVersionError);
    assert.equal((settled[1] as PromiseRejectedResult).reason.actual, 1);
    assert.ok(settled[3].status === 'rejected' && settled[3].reason instanceof DuplicateEventError);
    // Nothing of the failed items was stored; the others were.
    assert.equal((await readStream(t.pool, existing)).length, 1);
    assert.equal((await readStream(t.pool, ok1)).length, 1);
    assert.equal((await readStream(t.pool, ok2)).length, 1);
  });

  it('keeps arrival order for one stream appended twice in a group, and checks the second against the first', async () => {
    const s = serverStreamId('gus', `twice-${randomUUID().slice(0, 6)}`);
    const [a, b, c] = await Promise.allSettled([
      appendToStream(t.pool, s, [idle(1)], { expectedVersion: 'no_stream' }),
      appendToStream(t.pool, s, [idle(2)], { expectedVersion: 1 }),
      appendToStream(t.pool, s, [idle(3)], { expectedVersion: 1 }),
    ]);
    assert.equal(a.status, 'fulfilled');
    assert.equal(b.status, 'fulfilled');
    assert.ok(c.status === 'rejected' && c.reason instanceof WrongExpectedVersionError);
    assert.deepEqual(
      (await readStream(t.pool, s)).map((e) => (e.data as { jobId: string }).jobId),
      ['1.0', '2.0'],
    );
  });

  it('stores every event of many crossing writers once, with no deadlock and no hole a reader could skip', async () => {
    // Writers on overlapping streams in opposite orders (each takes 4 of the 6, so every pair of
    // writers shares streams), on two pools as two processes would: groups lock in one order.
    const other = createPool({ ...t.db, max: 4 });
    const streams = Array.from({ length: 6 }, (_, i) => serverStreamId('gus', `x${i}-${randomUUID().slice(0, 6)}`));
    const before = await readAllForward(t.pool, { transactionId: '0', globalPosition: '0' }, 100_000);
    const writers = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        for (let round = 0; round < 3 * GROUP_MAX; round++) {
          const order = w % 2 ? [...streams].reverse() : streams;
          const pool = w < 2 ? t.pool : other;
          await Promise.all(order.slice(0, 4).map((s) => appendToStream(pool, s, [idle(round)])));
        }
      })(),
    );
    await Promise.all(writers).finally(() => other.end());
    const total = (await Promise.all(streams.map((s) => readStream(t.pool, s)))).reduce((n, e) => n + e.length, 0);
    assert.equal(total, 4 * 3 * GROUP_MAX * 4);
    for (const s of streams) {
      const versions = (await readStream(t.pool, s)).map((e) => e.streamVersion);
      assert.deepEqual(
        versions,
        versions.map((_, i) => i + 1),
      );
    }
    const after = await readAllForward(t.pool, { transactionId: '0', globalPosition: '0' }, 100_000);
    assert.equal(after.length - before.length, total);
  });

  it('does not hold a group back behind a stream another transaction has locked: that item waits alone', async () => {
    // Sorted first in the group, so the others would queue behind its lock.
    const locked = serverStreamId('gus', `a-locked-${randomUUID().slice(0, 6)}`);
    const free = [1, 2].map((i) => serverStreamId('gus', `b-free${i}-${randomUUID().slice(0, 6)}`));
    await appendToStream(t.pool, locked, [idle()]);
    const holder = await t.pool.connect();
    let released = false;
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM streams WHERE stream_id = $1 FOR UPDATE', [locked]);
      const blocked = appendToStream(t.pool, locked, [idle(1)], { expectedVersion: 1 });
      const others = free.map((s, i) => appendToStream(t.pool, s, [idle(i)], { expectedVersion: 'no_stream' }));
      // The free appends commit while the lock is still held (a guard releases it after 30 s,
      // so a regression fails here instead of hanging).
      const guard = setTimeout(() => void holder.query('ROLLBACK').then(() => (released = true)), 30_000);
      const done = await Promise.all(others);
      assert.equal(released, false, 'the free appends waited for the lock');
      assert.deepEqual(
        done.map((r) => r.nextVersion),
        [1, 1],
      );
      clearTimeout(guard);
      await holder.query('ROLLBACK');
      released = true;
      // The blocked one, sent again alone, waits for the lock and then commits at its version.
      assert.equal((await blocked).nextVersion, 2);
    } finally {
      if (!released) await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
    assert.deepEqual(
      (await readStream(t.pool, locked)).map((e) => e.streamVersion),
      [1, 2],
    );
  });

  it("keeps one stream's order when its first append in a group waited too long", async () => {
    const locked = serverStreamId('gus', `order-${randomUUID().slice(0, 6)}`);
    await appendToStream(t.pool, locked, [idle(0)]);
    const holder = await t.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM streams WHERE stream_id = $1 FOR UPDATE', [locked]);
      const first = appendToStream(t.pool, locked, [idle(1)], { expectedVersion: 1 });
      const second = appendToStream(t.pool, locked, [idle(2)], { expectedVersion: 2 });
      // Long enough for the group to give up on the lock (100 ms) and hand both back.
      await new Promise((r) => setTimeout(r, 500));
      await holder.query('ROLLBACK');
      assert.equal((await first).nextVersion, 2);
      assert.equal((await second).nextVersion, 3);
    } finally {
      holder.release();
    }
    assert.deepEqual(
      (await readStream(t.pool, locked)).map((e) => (e.data as { jobId: string }).jobId),
      ['0.0', '1.0', '2.0'],
    );
  });
});
