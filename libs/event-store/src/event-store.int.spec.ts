import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type EventEnvelope, ContractError, newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import {
  BEGINNING,
  EventProcessor,
  WakeUpListener,
  createPool,
  ensureDatabase,
  noAppendApplicationName,
  readAllForward,
  readCheckpoint,
  WrongExpectedVersionError,
  DuplicateEventError,
  appendToStream,
  decideAndAppend,
  isWriteConflict,
  lockStreamAt,
  readStream,
  scheduleMessage,
  streamVersion,
  withTransaction,
} from './index';

const idle = (spawnId: string, n = 0) => newEvent('JobIdle', { spawnId, jobId: `${n}.0` });

describe('event store (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('event_store')));
  after(async () => t.drop());

  it('lets exactly one of two writers at the same expected version win, leaving no hole', async () => {
    const stream = serverStreamId('alice', 'race');
    const spawnId = randomUUID();
    await appendToStream(t.pool, stream, [idle(spawnId)], { expectedVersion: 'no_stream' });
    const results = await Promise.allSettled([
      appendToStream(t.pool, stream, [idle(spawnId, 1)], { expectedVersion: 1 }),
      appendToStream(t.pool, stream, [idle(spawnId, 2)], { expectedVersion: 1 }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(won.length, 1);
    assert.equal(lost.length, 1);
    assert.ok(lost[0].reason instanceof WrongExpectedVersionError);
    assert.equal(lost[0].reason.actual, 2);
    const events = await readStream(t.pool, stream);
    assert.deepEqual(
      events.map((e) => e.streamVersion),
      [1, 2],
    );
    assert.equal(await streamVersion(t.pool, stream), 2);
  });

  it('holds a stream at a version for effects that append nothing: a later append waits, a moved stream refuses', async () => {
    const stream = serverStreamId('alice', 'held');
    const spawnId = randomUUID();
    await appendToStream(t.pool, stream, [idle(spawnId)], { expectedVersion: 'no_stream' });
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const holder = withTransaction(t.pool, async (tx) => {
      await lockStreamAt(tx, stream, 1);
      order.push('locked');
      await held;
      order.push('holder commits');
    });
    while (!order.includes('locked')) await new Promise((r) => setTimeout(r, 5));
    const writer = appendToStream(t.pool, stream, [idle(spawnId, 1)], { expectedVersion: 1 }).then(() =>
      order.push('appended'),
    );
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(order, ['locked'], 'the append waits for the holder');
    release();
    await Promise.all([holder, writer]);
    assert.deepEqual(order, ['locked', 'holder commits', 'appended']);
    // Decided at version 1, but the stream is at 2 now: refused, as a conflict to decide again.
    const stale = await withTransaction(t.pool, (tx) => lockStreamAt(tx, stream, 1)).catch((e) => e);
    assert.ok(stale instanceof WrongExpectedVersionError && isWriteConflict(stale));
    assert.equal(stale.actual, 2);
    await withTransaction(t.pool, (tx) => lockStreamAt(tx, serverStreamId('alice', 'none'), 0));
  });

  it('decides on a stream and appends at that version: declined, appended, the same fixed ids stored once', async () => {
    const stream = serverStreamId('alice', 'decided');
    const spawnId = randomUUID();
    assert.equal(await decideAndAppend(t.pool, stream, () => undefined), 'declined');
    assert.equal((await readStream(t.pool, stream)).length, 0);
    const ids = [randomUUID()];
    const once = (events: EventEnvelope[]) => ({ events: [idle(spawnId, events.length)], eventIds: ids });
    assert.equal(await decideAndAppend(t.pool, stream, once), 'appended');
    assert.equal(await decideAndAppend(t.pool, stream, once), 'duplicate');
    assert.deepEqual(
      (await readStream(t.pool, stream)).map((e) => (e.data as any).jobId),
      ['0.0'],
    );
  });

  it('disarms the timers a decision names in the statement that stores it, and none when the append loses', async () => {
    const stream = serverStreamId('alice', 'disarmed');
    const spawnId = randomUUID();
    const armed = async (key: string) =>
      (await t.pool.query('SELECT 1 FROM scheduled_messages WHERE timer_key = $1', [key])).rowCount === 1;
    const timeout = newEvent('IdleTimedOut', { spawnId, waitedS: 1 });
    await scheduleMessage(t.pool, `a:${spawnId}`, stream, timeout, new Date(Date.now() + 60_000));
    await scheduleMessage(t.pool, `b:${spawnId}`, stream, timeout, new Date(Date.now() + 60_000));
    await appendToStream(t.pool, stream, [idle(spawnId, 0)]);
    await assert.rejects(
      appendToStream(t.pool, stream, [idle(spawnId, 1)], { expectedVersion: 0, cancelTimers: [`a:${spawnId}`] }),
      WrongExpectedVersionError,
    );
    assert.equal(await armed(`a:${spawnId}`), true, 'a lost append disarms nothing');
    const stored = await appendToStream(t.pool, stream, [idle(spawnId, 1)], {
      expectedVersion: 1,
      cancelTimers: [`a:${spawnId}`],
    });
    assert.equal(await armed(`a:${spawnId}`), false);
    assert.equal(await armed(`b:${spawnId}`), true, 'only the timers named');
    const read = (await readStream(t.pool, stream))[1];
    const pick = (e: EventEnvelope) => [e.eventId, e.type, e.streamVersion, e.globalPosition, e.transactionId, e.data];
    assert.deepEqual(pick(stored.last), pick(read), 'the stored event as a reader sees it');
  });

  it('decides first on a stream the caller knows, and on what is stored when that is stale or declines', async () => {
    const stream = serverStreamId('alice', 'known');
    const spawnId = randomUUID();
    await appendToStream(t.pool, stream, [idle(spawnId, 0)]);
    const known = await readStream(t.pool, stream);
    await appendToStream(t.pool, stream, [idle(spawnId, 1)]);
    const seen: number[] = [];
    const next = (events: EventEnvelope[]) => {
      seen.push(events.length);
      return { events: [idle(spawnId, events.length)] };
    };
    assert.equal(await decideAndAppend(t.pool, stream, next, { known }), 'appended');
    assert.deepEqual(seen, [1, 2], 'decided on the known stream, lost, read and decided again');
    assert.deepEqual(
      (await readStream(t.pool, stream)).map((e) => (e.data as any).jobId),
      ['0.0', '1.0', '2.0'],
    );
    // Declined on a known stream that says "nothing to do": the store is read before declining.
    const onlyAfter = (n: number) => (events: EventEnvelope[]) =>
      events.length >= n ? { events: [idle(spawnId, events.length)] } : undefined;
    assert.equal(await decideAndAppend(t.pool, stream, onlyAfter(3), { known }), 'appended');
    assert.equal(await decideAndAppend(t.pool, stream, onlyAfter(9), { known }), 'declined');
  });

  it('checks no_stream and stream_exists', async () => {
    const stream = serverStreamId('alice', 'exists');
    await assert.rejects(
      appendToStream(t.pool, stream, [idle(randomUUID())], { expectedVersion: 'stream_exists' }),
      WrongExpectedVersionError,
    );
    await appendToStream(t.pool, stream, [idle(randomUUID())], { expectedVersion: 'no_stream' });
    await assert.rejects(
      appendToStream(t.pool, stream, [idle(randomUUID())], { expectedVersion: 'no_stream' }),
      WrongExpectedVersionError,
    );
  });

  it('refuses an invalid payload, an unknown type and a duplicate event id, storing nothing', async () => {
    const stream = serverStreamId('bob', '');
    const spawnId = randomUUID();
    await assert.rejects(
      appendToStream(t.pool, stream, [idle(spawnId), newEvent('PortReported', { spawnId, host: 'h', port: 0 })]),
      (e: unknown) => e instanceof ContractError && /port/.test(e.message),
    );
    await assert.rejects(appendToStream(t.pool, stream, [{ type: 'Nope', data: {} } as never]), /unknown event type/);
    assert.equal(await streamVersion(t.pool, stream), 0);
    const id = randomUUID();
    await appendToStream(t.pool, stream, [idle(spawnId)], { eventIds: [id] });
    await assert.rejects(appendToStream(t.pool, stream, [idle(spawnId)], { eventIds: [id] }), DuplicateEventError);
    assert.equal(await streamVersion(t.pool, stream), 1);
  });

  it('delivers 20,000 events from 8 concurrent writers exactly once, in order, despite a held transaction', async () => {
    const received: EventEnvelope[] = [];
    const seen = new Set<string>();
    let duplicates = 0;
    const processor = new EventProcessor({
      name: 'exactly-once-reader',
      pool: t.pool,
      db: t.db,
      mode: 'transaction',
      pollMs: 200,
      onError: (e) => console.log('processor error', e),
      handle: async (events) => {
        for (const e of events) {
          if (seen.has(e.eventId)) duplicates++;
          seen.add(e.eventId);
          received.push(e);
        }
      },
    });
    const baseline = (await t.pool.query('SELECT count(*)::int AS n FROM events')).rows[0].n as number;
    processor.start();

    // A transaction that appends early and commits last: a sequence-ordered reader would
    // move past its position and lose it.
    const heldSpawn = randomUUID();
    let releaseHeld!: () => void;
    const held = withTransaction(t.pool, async (tx) => {
      await appendToStream(tx, serverStreamId('held', ''), [idle(heldSpawn, 999)]);
      await new Promise<void>((r) => (releaseHeld = r));
    });
    await new Promise((r) => setTimeout(r, 50));

    const writers = 8;
    const perWriter = 2_500;
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const spawnId = randomUUID();
        for (let i = 0; i < perWriter; i += 50) {
          const batch = Array.from({ length: 50 }, (_, k) => idle(spawnId, i + k));
          await appendToStream(t.pool, serverStreamId(`writer${w}`, ''), batch);
          if (i === 1_000 && w === 0) releaseHeld();
        }
      }),
    );
    await held;
    const total = writers * perWriter + 1;
    for (let i = 0; i < 600 && received.length < baseline + total; i++) await new Promise((r) => setTimeout(r, 100));
    await processor.stop();

    assert.equal(duplicates, 0);
    assert.equal(received.length, baseline + total);
    assert.ok(
      received.some((e) => (e.data as { spawnId?: string }).spawnId === heldSpawn),
      'the held transaction’s event was not skipped',
    );
    for (let i = 1; i < received.length; i++) {
      const a = received[i - 1];
      const b = received[i];
      const order =
        BigInt(a.transactionId) < BigInt(b.transactionId) ||
        (a.transactionId === b.transactionId && BigInt(a.globalPosition) < BigInt(b.globalPosition));
      assert.ok(order, `out of order at ${i}`);
    }
    // Per stream, versions arrive in order with no gap.
    const lastVersion = new Map<string, number>();
    for (const e of received) {
      assert.equal(e.streamVersion, (lastVersion.get(e.streamId) ?? 0) + 1, `gap in ${e.streamId}`);
      lastVersion.set(e.streamId, e.streamVersion);
    }
  });

  it('resumes from its stored checkpoint after a restart without re-reading', async () => {
    const stream = serverStreamId('carol', '');
    await appendToStream(t.pool, stream, [idle(randomUUID())]);
    const count = async () => {
      let n = 0;
      const p = new EventProcessor({
        name: 'resumer',
        pool: t.pool,
        db: t.db,
        mode: 'transaction',
        handle: async (events) => void (n += events.length),
      });
      p.start();
      await p.caughtUp();
      await p.stop();
      return n;
    };
    const first = await count();
    assert.ok(first > 0);
    assert.equal(await count(), 0);
    await appendToStream(t.pool, stream, [idle(randomUUID())]);
    assert.equal(await count(), 1);
  });
  it('delivers an event held back by an older open transaction soon after that ends, with no notification and no poll', async () => {
    const stream = serverStreamId('dave', '');
    const seen: string[] = [];
    let arrived: () => void = () => undefined;
    const got = new Promise<void>((r) => (arrived = r));
    const p = new EventProcessor({
      name: 'held-back',
      pool: t.pool,
      db: t.db,
      mode: 'transaction',
      pollMs: 120_000, // a poll would never come within this test
      handle: async (events) => {
        for (const e of events) seen.push(e.eventId);
        if (events.some((e) => e.streamId === stream)) arrived();
      },
    });
    p.start();
    await p.caughtUp();
    // An older transaction with an xid (not an append: it will never notify) stays open…
    const blocker = await t.pool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('SELECT pg_current_xact_id()');
      // …while the event commits and notifies: the reader must not read it yet.
      const eventId = randomUUID();
      await appendToStream(t.pool, stream, [idle(randomUUID())], { eventIds: [eventId] });
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(!seen.includes(eventId), 'not readable while an older transaction is open');
      await blocker.query('COMMIT');
      const timeout = new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the held-back event never arrived')), 10_000),
      );
      await Promise.race([got, timeout]);
      assert.ok(seen.includes(eventId));
    } finally {
      blocker.release();
      await p.stop();
    }
  });

  it('does not lose a notification that arrives while the reader is busy', async () => {
    const listener = new WakeUpListener(t.db);
    await listener.connect();
    try {
      await t.pool.query(`NOTIFY ${listener.channel}`);
      await new Promise((r) => setTimeout(r, 200)); // delivered while nobody waits
      const woke = await Promise.race([
        listener.wait(120_000).then(() => 'notified'),
        new Promise((r) => setTimeout(() => r('timed out'), 5_000)),
      ]);
      assert.equal(woke, 'notified');
      // Taken once: the next wait waits.
      const second = await Promise.race([
        listener.wait(120_000).then(() => 'notified'),
        new Promise((r) => setTimeout(() => r('waited'), 300)),
      ]);
      assert.equal(second, 'waited');
    } finally {
      await listener.close();
    }
  });
  it('reads past open transactions that cannot append: no-append sessions and other databases', async () => {
    const stream = serverStreamId('erin', '');
    const readableNow = async (eventId: string) =>
      (await readAllForward(t.pool, BEGINNING, 100_000)).some((e) => e.eventId === eventId);
    // Other test files share the database: their short transactions may hold the horizon a
    // moment; the ones this test holds open never end while it waits.
    const readable = async (eventId: string) => {
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50)))
        if (await readableNow(eventId)) return true;
      return false;
    };
    const projector = createPool({ ...t.db, applicationName: noAppendApplicationName('test-projector'), max: 1 });
    const otherDb = new URL(t.db.url);
    otherDb.pathname = otherDb.pathname === '/condorhub_other' ? '/postgres' : '/condorhub_other';
    await ensureDatabase(otherDb.toString());
    const elsewhere = createPool({ ...t.db, url: otherDb.toString(), max: 1 });
    const ordinary = await t.pool.connect();
    const clients = [await projector.connect(), await elsewhere.connect()];
    try {
      for (const c of clients) {
        await c.query('BEGIN');
        await c.query('SELECT pg_current_xact_id()'); // holds an xid, like a projector's batch
      }
      const first = randomUUID();
      await appendToStream(t.pool, stream, [idle(randomUUID())], { eventIds: [first] });
      assert.ok(await readable(first), 'a no-append session and another database hold nothing back');

      // An ordinary session's open transaction still does (it could append behind us).
      await ordinary.query('BEGIN');
      await ordinary.query('SELECT pg_current_xact_id()');
      const second = randomUUID();
      await appendToStream(t.pool, stream, [idle(randomUUID())], { eventIds: [second] });
      assert.equal(await readableNow(second), false);
      await ordinary.query('COMMIT');
      assert.ok(await readable(second));
    } finally {
      for (const c of clients) {
        await c.query('ROLLBACK').catch(() => undefined);
        c.release();
      }
      ordinary.release();
      await projector.end();
      await elsewhere.end();
    }
  });

  it('refuses an append from a session that promised not to append, storing nothing', async () => {
    const projector = createPool({ ...t.db, applicationName: noAppendApplicationName('test-projector'), max: 1 });
    const stream = serverStreamId('frank', '');
    try {
      await assert.rejects(appendToStream(projector, stream, [idle(randomUUID())]), /promised not to append/);
      assert.equal((await readStream(t.pool, stream)).length, 0);
    } finally {
      await projector.end();
    }
  });
  it('wakes readers after each append commits, from a pool or a transaction, and not for a rollback', async () => {
    const listener = new WakeUpListener(t.db);
    await listener.connect();
    const woken = () =>
      Promise.race([
        listener.wait(120_000).then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 3_000)),
      ]);
    try {
      const stream = serverStreamId('gina', '');
      await appendToStream(t.pool, stream, [idle(randomUUID())]);
      assert.equal(await woken(), true, 'autocommit append');
      await withTransaction(t.pool, (tx) => appendToStream(tx, stream, [idle(randomUUID())]));
      assert.equal(await woken(), true, 'append in a transaction');
      await assert.rejects(
        withTransaction(t.pool, async (tx) => {
          await appendToStream(tx, stream, [idle(randomUUID())]);
          throw new Error('changed my mind');
        }),
      );
      // Other test files share nothing with this schema's channel, so silence means none was sent.
      assert.equal(await woken(), false, 'a rolled-back append wakes nobody');
    } finally {
      await listener.close();
    }
  });
  it('with checkpointEveryMs stores the checkpoint when it goes idle, not after every batch', async () => {
    const stream = serverStreamId('hank', '');
    let last = '';
    const p = new EventProcessor({
      name: 'lazy-checkpoint',
      pool: t.pool,
      db: t.db,
      mode: 'after',
      batchSize: 2,
      checkpointEveryMs: 60_000,
      handle: async (events) => void (last = events[events.length - 1].globalPosition),
    });
    p.start();
    try {
      await p.caughtUp();
      await appendToStream(t.pool, stream, [idle(randomUUID()), idle(randomUUID()), idle(randomUUID())]);
      await p.caughtUp();
      // Idle now: whatever the interval, the stored checkpoint has caught up with what was handled.
      for (const deadline = Date.now() + 5_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
        if ((await readCheckpoint(t.pool, 'lazy-checkpoint')).globalPosition === last) break;
      }
      assert.equal((await readCheckpoint(t.pool, 'lazy-checkpoint')).globalPosition, last);
    } finally {
      await p.stop();
    }
  });
});
