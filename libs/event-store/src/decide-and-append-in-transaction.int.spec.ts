import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import {
  WrongExpectedVersionError,
  appendToStream,
  decideAndAppendInTransaction,
  markProcessed,
  readStream,
  wasProcessed,
} from './index';

const idle = (spawnId: string, n = 0) => newEvent('JobIdle', { spawnId, jobId: `${n}.0` });

describe('decideAndAppendInTransaction (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('decide_in_tx')));
  after(async () => t.drop());

  it('commits the events with their effects: prepare first, then before, the append, after', async () => {
    const stream = serverStreamId('alice', 'effects');
    const spawnId = randomUUID();
    const order: string[] = [];
    const result = await decideAndAppendInTransaction(
      t.pool,
      stream,
      (events, context: string) => {
        order.push(`decide on ${events.length} after ${context}`);
        return {
          events: [idle(spawnId)],
          before: async () => void order.push('before'),
          after: async (tx, last) => {
            order.push(`after #${last?.streamVersion}`);
            await markProcessed(tx, 'test', spawnId);
          },
          result: 'done',
        };
      },
      {
        prepare: async () => {
          order.push('prepare');
          return 'prepare';
        },
      },
    );
    assert.equal(result, 'done');
    assert.deepEqual(order, ['prepare', 'decide on 0 after prepare', 'before', 'after #1']);
    assert.equal((await readStream(t.pool, stream)).length, 1);
    assert.equal(await wasProcessed(t.pool, 'test', spawnId), true);
  });

  it('runs the effects of a decision that records no events', async () => {
    const stream = serverStreamId('alice', 'no-events');
    const id = randomUUID();
    const result = await decideAndAppendInTransaction(t.pool, stream, () => ({
      events: [],
      after: async (tx, last) => {
        assert.equal(last, undefined);
        await markProcessed(tx, 'test', id);
      },
      result: 'nothing to record',
    }));
    assert.equal(result, 'nothing to record');
    assert.equal(await wasProcessed(t.pool, 'test', id), true);
    assert.deepEqual(await readStream(t.pool, stream), []);
  });

  it('decides again on the new stream when another writer came first, the first effects rolled back', async () => {
    const stream = serverStreamId('alice', 'raced');
    const spawnId = randomUUID();
    await appendToStream(t.pool, stream, [idle(spawnId, 1)], { expectedVersion: 'no_stream' });
    const known = await readStream(t.pool, stream);
    // Another writer appends after the caller read the stream.
    await appendToStream(t.pool, stream, [idle(spawnId, 2)], { expectedVersion: 1 });
    const seen: { versions: number; fresh: boolean; retry: boolean }[] = [];
    await decideAndAppendInTransaction(
      t.pool,
      stream,
      (events, fresh: boolean, retry) => {
        seen.push({ versions: events.length, fresh, retry });
        return { events: [idle(spawnId, 3)], result: undefined };
      },
      { known, prepare: (tx) => markProcessed(tx, 'test', spawnId) },
    );
    // The inbox row of the lost attempt was rolled back with it: the retry finds it fresh.
    assert.deepEqual(seen, [
      { versions: 1, fresh: true, retry: false },
      { versions: 2, fresh: true, retry: true },
    ]);
    assert.deepEqual(
      (await readStream(t.pool, stream)).map((e) => (e.data as any).jobId),
      ['1.0', '2.0', '3.0'],
    );
  });

  it('throws the conflict once the attempts are spent, storing nothing of it', async () => {
    const stream = serverStreamId('alice', 'busy');
    const spawnId = randomUUID();
    let attempts = 0;
    const error = await decideAndAppendInTransaction(
      t.pool,
      stream,
      (events) => {
        attempts++;
        return {
          events: [idle(spawnId, 9)],
          // Another writer gets in between every decision and its append.
          before: () => appendToStream(t.pool, stream, [idle(spawnId, events.length)]).then(() => undefined),
          result: undefined,
        };
      },
      { attempts: 2 },
    ).catch((e) => e);
    assert.ok(error instanceof WrongExpectedVersionError, String(error));
    assert.equal(attempts, 2);
    assert.ok((await readStream(t.pool, stream)).every((e) => (e.data as any).jobId !== '9.0'));
  });

  it('rolls the events back when an effect fails, and passes the error on', async () => {
    const stream = serverStreamId('alice', 'failing');
    const error = await decideAndAppendInTransaction(t.pool, stream, () => ({
      events: [idle(randomUUID())],
      after: async () => {
        throw new Error('effect failed');
      },
      result: undefined,
    })).catch((e) => e);
    assert.match(String(error), /effect failed/);
    assert.deepEqual(await readStream(t.pool, stream), []);
  });
});
