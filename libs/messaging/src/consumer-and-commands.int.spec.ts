import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { jetstream } from '@nats-io/jetstream';
import { z } from 'zod';
import { type EventEnvelope, accepted, deadLetterSubject, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { consumerDeadLetters, consumerRedeliveries } from '@condorhub/metrics';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats } from '@condorhub/testing';
import { DurableConsumer, createRelay, sendCommand, serveCommands } from './index';

describe('durable consumers and commands (real NATS JetStream + PostgreSQL)', () => {
  let t: TestDatabase;
  let n: TestNats;
  before(async () => {
    t = await createTestDatabase('consumer');
    n = await createTestNats('consumer');
  });
  after(async () => {
    await n?.drop();
    await t?.drop();
  });

  it('retries a failing handler with backoff, dead-letters a poison message, and never blocks the rest', async () => {
    const relay = createRelay({ pool: t.pool, db: t.db, nc: n.nc, prefix: n.prefix });
    relay.start();
    const handled: string[] = [];
    const attempts = new Map<string, number>();
    const poisonJob = '666.0';
    const flakyJob = '7.0';
    const consumer = new DurableConsumer({
      nc: n.nc,
      streamName: n.streamName,
      prefix: n.prefix,
      durable: 'dl-test',
      maxDeliver: 3,
      backoffMs: [50],
      handle: async (e: EventEnvelope) => {
        const jobId = (e.data as any).jobId as string;
        attempts.set(jobId, (attempts.get(jobId) ?? 0) + 1);
        if (jobId === poisonJob) throw new Error('cannot handle this one');
        if (jobId === flakyJob && attempts.get(jobId)! < 2) throw new Error('transient');
        handled.push(jobId);
      },
    });
    // A message that is not an event envelope at all goes straight to the dead letters.
    const js = jetstream(n.nc);
    await js.publish(`${n.prefix}.events.server.JobIdle`, '{"not": "an envelope"}');
    await consumer.start();
    const spawnId = randomUUID();
    await appendToStream(t.pool, serverStreamId('alice', ''), [
      newEvent('JobIdle', { spawnId, jobId: poisonJob }),
      newEvent('JobIdle', { spawnId, jobId: flakyJob }),
      newEvent('JobIdle', { spawnId, jobId: '8.0' }),
    ]);
    for (let i = 0; i < 100 && handled.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(handled.sort(), ['7.0', '8.0']);
    for (let i = 0; i < 100 && (attempts.get(poisonJob) ?? 0) < 3; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(attempts.get(poisonJob), 3, 'bounded redelivery');
    assert.equal(attempts.get(flakyJob), 2);

    const dead = await (async () => {
      const jsm = await (await import('@nats-io/jetstream')).jetstreamManager(n.nc);
      for (let i = 0; i < 50; i++) {
        const info = await jsm.streams.info(n.streamName, { subjects_filter: deadLetterSubject(n.prefix, 'dl-test') });
        const count = info.state.subjects?.[deadLetterSubject(n.prefix, 'dl-test')] ?? 0;
        if (count >= 2) return count;
        await new Promise((r) => setTimeout(r, 100));
      }
      return 0;
    })();
    assert.equal(dead, 2, 'the unparseable message and the poison event are dead letters');
    await consumer.stop();
    await relay.stop();
    const counted = async (c: typeof consumerDeadLetters) =>
      (await c.get()).values.find((v) => v.labels.consumer === 'dl-test')?.value;
    assert.equal(await counted(consumerDeadLetters), 2, 'condorhub_consumer_dead_letters_total');
    assert.equal(
      await counted(consumerRedeliveries),
      3,
      'poison twice, flaky once: condorhub_consumer_redeliveries_total',
    );
  });

  it('handles streams concurrently, each stream in order', async () => {
    const relay = createRelay({ pool: t.pool, db: t.db, nc: n.nc, prefix: n.prefix });
    relay.start();
    const log: string[] = [];
    const consumer = new DurableConsumer({
      nc: n.nc,
      streamName: n.streamName,
      prefix: n.prefix,
      durable: 'concurrent',
      concurrency: 8,
      types: ['JobHeld'],
      handle: async (e: EventEnvelope) => {
        const d = e.data as any;
        // The slow stream's first event takes long; the fast stream must not wait for it.
        if (d.holdReason === 'slow-1') await new Promise((r) => setTimeout(r, 500));
        log.push(d.holdReason);
      },
    });
    await consumer.start();
    const spawnId = randomUUID();
    const held = (reason: string) => newEvent('JobHeld', { spawnId, jobId: '1.0', holdReason: reason, code: 1 });
    await appendToStream(t.pool, serverStreamId('slow', ''), [held('slow-1'), held('slow-2')]);
    await appendToStream(t.pool, serverStreamId('fast', ''), [held('fast-1'), held('fast-2')]);
    for (let i = 0; i < 100 && log.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(log, ['fast-1', 'fast-2', 'slow-1', 'slow-2']);
    await consumer.stop();
    await relay.stop();
  });

  it('commands: accepted, rejected with the bad field named, handler errors, and a timeout when nobody answers', async () => {
    const subs = serveCommands(n.nc, n.prefix, 'demo', {
      greet: {
        schema: z.object({ name: z.string().min(1) }),
        handle: async (c) => accepted({ hello: (c as { name: string }).name }),
      },
      explode: { schema: z.object({}), handle: async () => Promise.reject(new Error('boom')) },
    });
    assert.deepEqual(await sendCommand(n.nc, n.prefix, 'demo', 'greet', { name: 'alice' }), {
      accepted: true,
      result: { hello: 'alice' },
    });
    const bad = await sendCommand(n.nc, n.prefix, 'demo', 'greet', { name: 42 });
    assert.equal(bad.accepted, false);
    assert.equal((bad as any).code, 'invalid');
    assert.match((bad as any).reason, /name/);
    const failed = await sendCommand(n.nc, n.prefix, 'demo', 'explode', {});
    assert.deepEqual(failed, { accepted: false, code: 'failed', reason: 'boom' });
    const none = await sendCommand(n.nc, n.prefix, 'nobody', 'home', {}, 300);
    assert.equal((none as any).code, 'unavailable');
    for (const s of subs) s.unsubscribe();
  });
});
