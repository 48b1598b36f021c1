import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type EventEnvelope, newEvent, serverStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import {
  EventProcessor,
  createPool,
  WakeUpListener,
  WrongExpectedVersionError,
  appendToStream,
  readStream,
} from './index';

const idle = (n = 0) => newEvent('JobIdle', { spawnId: randomUUID(), jobId: `${n}.0` });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `ids` have all been handled, or rejects after `ms`. */
async function allSeen(seen: Set<string>, ids: string[], ms: number, what: string) {
  const t0 = Date.now();
  while (!ids.every((id) => seen.has(id))) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: ${ids.filter((id) => !seen.has(id)).length} never arrived`);
    await sleep(10);
  }
}

describe('append and wake-up (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('append_wake')));
  after(async () => t.drop());

  it('checks every expected version against a missing stream, and creates a stream once under racing writers', async () => {
    const missing = serverStreamId('ivy', 'missing');
    for (const expectedVersion of [1, 3, 'stream_exists'] as const) {
      await assert.rejects(
        appendToStream(t.pool, missing, [idle()], { expectedVersion }),
        (e: unknown) => e instanceof WrongExpectedVersionError && e.actual === 0,
      );
    }
    assert.equal((await readStream(t.pool, missing)).length, 0);
    // 10 writers race to create one stream with `any`: all succeed, versions 1…10 without a hole.
    const raced = serverStreamId('ivy', 'raced');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => appendToStream(t.pool, raced, [idle(i)])));
    assert.deepEqual(
      results.map((r) => r.nextVersion).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    // Exactly one of 10 `no_stream` writers wins.
    const once = serverStreamId('ivy', 'once');
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, () => appendToStream(t.pool, once, [idle()], { expectedVersion: 'no_stream' })),
    );
    assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 1);
    for (const s of settled) {
      if (s.status === 'rejected') assert.ok(s.reason instanceof WrongExpectedVersionError && s.reason.actual === 1);
    }
    // Several events in one append keep their order, and the metadata is stored with each.
    const many = serverStreamId('ivy', 'many');
    const events = [idle(1), idle(2), idle(3)];
    const r = await appendToStream(t.pool, many, events, { expectedVersion: 'no_stream', metadata: { actor: 'ivy' } });
    assert.equal(r.nextVersion, 3);
    const stored = await readStream(t.pool, many);
    assert.deepEqual(
      stored.map((e) => [e.streamVersion, (e.data as { jobId: string }).jobId, e.metadata.actor]),
      [
        [1, '1.0', 'ivy'],
        [2, '2.0', 'ivy'],
        [3, '3.0', 'ivy'],
      ],
    );
    assert.equal(r.last.globalPosition, stored[2].globalPosition);
    assert.equal(r.last.eventId, stored[2].eventId);
  });

  it('wakes an idle reader after every burst of concurrent appends: the coalesced wake-ups lose none', async () => {
    const seen = new Set<string>();
    const p = new EventProcessor({
      name: 'burst-reader',
      pool: t.pool,
      db: t.db,
      mode: 'after',
      pollMs: 120_000, // no poll within this test: only wake-ups bring the events
      handle: async (events: EventEnvelope[]) => void events.forEach((e) => seen.add(e.eventId)),
    });
    p.start();
    try {
      await p.caughtUp();
      for (let round = 0; round < 10; round++) {
        const ids = Array.from({ length: 8 + round }, () => randomUUID());
        // Concurrent appends: most commit while an earlier wake-up is in flight or pending.
        await Promise.all(
          ids.map((id, i) =>
            appendToStream(t.pool, serverStreamId('jack', `b${i}`), [idle(round)], { eventIds: [id] }),
          ),
        );
        await allSeen(seen, ids, 10_000, `round ${round}`);
        // Idle between rounds, so the next burst starts with no wake-up in flight.
        await sleep(round % 2 ? 0 : 20);
      }
    } finally {
      await p.stop();
    }
  });

  it('sends fewer wake-ups than appends under concurrent writers, each commit followed by one sent after it', async () => {
    // A pool of its own, whose queries note when each append committed and each wake-up left.
    const pool = createPool({ ...t.db, max: 8 });
    const commits: number[] = [];
    const sent: number[] = [];
    const query = pool.query.bind(pool) as (text: string, values?: unknown[]) => Promise<unknown>;
    (pool as { query: unknown }).query = async (config: string | { text: string }, values?: unknown[]) => {
      const text = typeof config === 'string' ? config : config.text;
      if (text.includes('pg_notify')) sent.push(performance.now());
      const result = await query(config as string, values);
      if (text.includes('append_events')) commits.push(performance.now());
      return result;
    };
    const listener = new WakeUpListener(t.db);
    const client = await listener.connect();
    let delivered = 0;
    client.on('notification', () => void delivered++);
    try {
      const appends = 400;
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < appends / 8; i++) await appendToStream(pool, serverStreamId('kim', `w${w}`), [idle(i)]);
        }),
      );
      const lastCommit = Math.max(...commits);
      for (let i = 0; i < 300 && !sent.some((s) => s >= lastCommit); i++) await sleep(10);
      const late = commits.filter((c) => !sent.some((s) => s >= c));
      assert.equal(late.length, 0, `${late.length} commits with no wake-up sent after them`);
      assert.ok(sent.length < appends, `${sent.length} wake-ups for ${appends} appends`);
      for (let i = 0; i < 300 && delivered < 1; i++) await sleep(10);
      assert.ok(delivered >= 1, 'the listener was woken');
    } finally {
      await listener.close();
      await pool.end();
    }
  });

  it('delivers an append whose wake-up is lost within the poll interval', async () => {
    const seen = new Set<string>();
    const p = new EventProcessor({
      name: 'lost-wake-up',
      pool: t.pool,
      db: t.db,
      mode: 'after',
      pollMs: 300,
      handle: async (events: EventEnvelope[]) => void events.forEach((e) => seen.add(e.eventId)),
    });
    p.start();
    try {
      await p.caughtUp();
      await sleep(50);
      // The store's function alone: it commits the event and sends no wake-up, as a process that
      // dies between its commit and its NOTIFY.
      const id = randomUUID();
      await t.pool.query(`SELECT * FROM append_events($1, 'server', -1, $2::jsonb, '{}'::jsonb, NULL)`, [
        serverStreamId('lee', ''),
        JSON.stringify([{ id, type: 'JobIdle', v: 1, data: { spawnId: randomUUID(), jobId: '1.0' } }]),
      ]);
      await allSeen(seen, [id], 5_000, 'the unannounced event');
    } finally {
      await p.stop();
    }
  });
});
