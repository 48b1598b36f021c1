import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Pool } from 'pg';
import { type EventEnvelope, deadLetterSubject, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, createPool, isStoreUnavailable } from '@condorhub/event-store';
import { type TestDatabase, type TestNats, TcpForwarder, createTestDatabase, createTestNats } from '@condorhub/testing';
import { DurableConsumer, createRelay, idempotent } from './index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('durable consumers through a store outage and a slow handler (real PostgreSQL + NATS)', () => {
  let t: TestDatabase;
  let n: TestNats;
  let forwarder: TcpForwarder;
  /** The handler's pool reaches PostgreSQL only through the forwarder, which the test cuts. */
  let viaForwarder: Pool;
  before(async () => {
    t = await createTestDatabase('store_outage');
    n = await createTestNats('store_outage');
    const target = new URL(t.db.url);
    forwarder = await TcpForwarder.start({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(t.db.url);
    url.port = String(forwarder.port);
    viaForwarder = createPool({ ...t.db, url: url.toString(), max: 4, connectTimeoutMs: 1_000 });
    await t.pool.query('CREATE TABLE effects (event_id uuid PRIMARY KEY, job_id text NOT NULL)');
  });
  after(async () => {
    await forwarder?.down();
    await viaForwarder?.end().catch(() => undefined);
    await n?.drop();
    await t?.drop();
  });

  const deadLetterCount = async (durable: string) => {
    const jsm = await jetstreamManager(n.nc);
    const subject = deadLetterSubject(n.prefix, durable);
    const info = await jsm.streams.info(n.streamName, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  };

  it('holds an event while the store is unreachable, far past the dead-letter limit, and handles it once the store is back', async () => {
    const relay = createRelay({ pool: t.pool, db: t.db, nc: n.nc, prefix: n.prefix });
    relay.start();
    let attempts = 0;
    const failures: unknown[] = [];
    const effect = idempotent(viaForwarder, 'outage-test', async (e, tx) => {
      await tx.query('INSERT INTO effects (event_id, job_id) VALUES ($1, $2)', [e.eventId, (e.data as any).jobId]);
    });
    const consumer = new DurableConsumer({
      nc: n.nc,
      streamName: n.streamName,
      prefix: n.prefix,
      durable: 'outage',
      pool: t.pool,
      maxDeliver: 3,
      backoffMs: [50],
      outageRetryMaxMs: 200,
      handle: async (e: EventEnvelope) => {
        attempts++;
        try {
          await effect(e);
        } catch (error) {
          failures.push(error);
          throw error;
        }
      },
    });
    // Warm connections first: the outage cuts them mid-life, as a PostgreSQL restart does.
    await Promise.all([1, 2, 3].map(() => viaForwarder.query('SELECT 1')));
    await consumer.start();
    await forwarder.down();
    await appendToStream(t.pool, serverStreamId('outage', ''), [
      newEvent('JobIdle', { spawnId: randomUUID(), jobId: '42.0' }),
    ]);
    // Many more failed tries than maxDeliver, all of them the store's fault.
    await until('ten failed attempts', () => attempts >= 10);
    assert.ok(
      failures.every((e) => isStoreUnavailable(e)),
      `only outage errors: ${failures.map(String).join('; ')}`,
    );
    assert.equal((await t.pool.query('SELECT 1 FROM dead_letters')).rowCount, 0, 'no dead letter recorded');
    assert.equal(await deadLetterCount('outage'), 0, 'no dead letter published');

    await forwarder.up();
    await until('the effect', async () => (await t.pool.query('SELECT 1 FROM effects')).rowCount === 1);
    await sleep(300);
    const { rows } = await t.pool.query('SELECT job_id FROM effects');
    assert.deepEqual(rows, [{ job_id: '42.0' }], 'handled exactly once');
    assert.equal((await t.pool.query('SELECT 1 FROM dead_letters')).rowCount, 0);
    assert.equal(await deadLetterCount('outage'), 0);
    await consumer.stop();
    await relay.stop();
  });

  it('a message redelivered while it waited out an outage still gets all its attempts afterwards', async () => {
    const relay = createRelay({ pool: t.pool, db: t.db, nc: n.nc, prefix: n.prefix });
    relay.start();
    const effect = idempotent(viaForwarder, 'waited-test', async (e, tx) => {
      await tx.query('INSERT INTO effects (event_id, job_id) VALUES ($1, $2)', [e.eventId, (e.data as any).jobId]);
    });
    let failedOnce = false;
    const consumer = new DurableConsumer({
      nc: n.nc,
      streamName: n.streamName,
      prefix: n.prefix,
      durable: 'waited',
      pool: t.pool,
      maxDeliver: 3,
      backoffMs: [50],
      ackWaitMs: 500,
      outageRetryMaxMs: 200,
      handle: async (e: EventEnvelope) => {
        if (e.streamId !== serverStreamId('waited', '')) return; // the other tests' events
        if ((e.data as any).jobId === '2.0' && !failedOnce) {
          await viaForwarder.query('SELECT 1');
          // Its first real attempt fails (a conflict, say): one of three, not the last.
          failedOnce = true;
          throw new Error('not this time');
        }
        await effect(e);
      },
    });
    await consumer.start();
    await forwarder.down();
    const spawnId = randomUUID();
    await appendToStream(t.pool, serverStreamId('waited', ''), [
      newEvent('JobIdle', { spawnId, jobId: '1.0' }),
      newEvent('JobIdle', { spawnId, jobId: '2.0' }),
    ]);
    // Eight ack waits, the second event buffered behind the first all along.
    await sleep(4_000);
    await forwarder.up();
    const jobs = async () =>
      (await t.pool.query(`SELECT job_id FROM effects WHERE job_id IN ('1.0', '2.0') ORDER BY job_id`)).rows.map(
        (r) => r.job_id,
      );
    await until('both effects', async () => (await jobs()).length === 2);
    assert.equal(failedOnce, true);
    await sleep(500);
    assert.deepEqual(await jobs(), ['1.0', '2.0']);
    const dl = await t.pool.query('SELECT consumer, reason, payload FROM dead_letters');
    assert.equal(dl.rowCount, 0, JSON.stringify(dl.rows));
    await consumer.stop();
    await relay.stop();
  });

  it('keeps a message that takes longer than the ack wait to one handler, with in-progress acks', async () => {
    const relay = createRelay({ pool: t.pool, db: t.db, nc: n.nc, prefix: n.prefix });
    relay.start();
    const calls: string[] = [];
    const consumer = new DurableConsumer({
      nc: n.nc,
      streamName: n.streamName,
      prefix: n.prefix,
      durable: 'slow',
      types: ['JobHeld'],
      ackWaitMs: 1_000,
      concurrency: 4,
      handle: async (e: EventEnvelope) => {
        const reason = (e.data as any).holdReason as string;
        calls.push(reason);
        // A condor_submit under load: three ack waits long.
        if (reason === 'slow') await sleep(3_000);
      },
    });
    await consumer.start();
    const spawnId = randomUUID();
    await appendToStream(t.pool, serverStreamId('slow', ''), [
      newEvent('JobHeld', { spawnId, jobId: '1.0', holdReason: 'slow', code: 1 }),
    ]);
    await until('the slow handler to finish', () => calls.length >= 1);
    await sleep(3_000);
    // Another event after it: once it is handled, anything redelivered before would have been too.
    await appendToStream(t.pool, serverStreamId('slow', ''), [
      newEvent('JobHeld', { spawnId, jobId: '1.0', holdReason: 'after', code: 1 }),
    ]);
    await until('the next event', () => calls.includes('after'));
    await sleep(1_500);
    assert.deepEqual(calls, ['slow', 'after'], 'the slow message was not redelivered while it ran');
    await consumer.stop();
    await relay.stop();
  });
});
