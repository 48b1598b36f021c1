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
    // The first append goes alone (nothing else waits); the next eight arrive while it is in
    // flight or together, and at least some of them share a transaction.
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
    // Writers on overlapping streams in opposite orders: groups lock streams in one order.
    const streams = Array.from({ length: 6 }, (_, i) => serverStreamId('gus', `x${i}-${randomUUID().slice(0, 6)}`));
    const before = await readAllForward(t.pool, { transactionId: '0', globalPosition: '0' }, 100_000);
    const writers = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        for (let round = 0; round < 3 * GROUP_MAX; round++) {
          const order = w % 2 ? [...streams].reverse() : streams;
          await Promise.all(order.slice(0, 3).map((s) => appendToStream(t.pool, s, [idle(round)])));
        }
      })(),
    );
    await Promise.all(writers);
    const total = (await Promise.all(streams.map((s) => readStream(t.pool, s)))).reduce((n, e) => n + e.length, 0);
    assert.equal(total, 4 * 3 * GROUP_MAX * 3);
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
});
