import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { DiscardPolicy, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { type EventEnvelope, eventSubjectFilter, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { TEST_NATS_URL, type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { DurableConsumer, connectNats, createRelay, deleteEventStream, ensureEventStream } from './index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the event stream has limits, and the relay and consumers live with them (real NATS + PostgreSQL)', () => {
  let nc: NatsConnection;
  let t: TestDatabase;
  const id = randomBytes(4).toString('hex');
  const streamName = `T_LIMITS_${id}`.toUpperCase();
  const prefix = `t_limits_${id}`;
  before(async () => {
    nc = await connectNats({ url: TEST_NATS_URL, name: 'test:limits' });
    t = await createTestDatabase('stream_limits');
  });
  after(async () => {
    await deleteEventStream(nc, streamName);
    await nc.close();
    await t.drop();
  });

  it('creates the stream with a max age and size (oldest dropped), and brings an unlimited stream up to date', async () => {
    const jsm = await jetstreamManager(nc);
    // As a release before the limits created it.
    await jsm.streams.add({
      name: streamName,
      subjects: [eventSubjectFilter(prefix), `${prefix}.dead-letter.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
    await ensureEventStream(nc, { streamName, prefix });
    let { config } = await jsm.streams.info(streamName);
    assert.equal(config.max_age, 7 * 86_400 * 1e9, 'default: a week');
    assert.equal(config.max_bytes, 1_073_741_824, 'default: 1 GiB');
    assert.equal(config.discard, DiscardPolicy.Old);
    assert.ok(config.duplicate_window <= config.max_age);
    await ensureEventStream(nc, { streamName, prefix, maxAgeS: 3_600, maxBytes: 8_192 });
    ({ config } = await jsm.streams.info(streamName));
    assert.equal(config.max_age, 3_600 * 1e9);
    assert.equal(config.max_bytes, 8_192);
  });

  it('past the size limit the relay keeps publishing, and a consumer that fell behind goes on with what the stream still holds', async () => {
    // 8 KiB: a few dozen events. The relay publishes far more while no consumer runs.
    const errors: unknown[] = [];
    const relay = createRelay({ pool: t.pool, db: t.db, nc, prefix, onError: (e) => errors.push(e) });
    relay.start();
    const seen: string[] = [];
    const consumer = new DurableConsumer({
      nc,
      streamName,
      prefix,
      durable: 'behind',
      handle: async (e: EventEnvelope) => void seen.push((e.data as any).holdReason),
    });
    const spawnId = randomUUID();
    const held = (reason: string) => newEvent('JobHeld', { spawnId, jobId: '1.0', holdReason: reason, code: 1 });
    for (let i = 0; i < 10; i++) {
      await appendToStream(
        t.pool,
        serverStreamId('limits', ''),
        Array.from({ length: 20 }, (_, j) => held(`early-${i * 20 + j}`)),
      );
    }
    const jsm = await jetstreamManager(nc);
    for (let i = 0; i < 100; i++) {
      const info = await jsm.streams.info(streamName);
      if (info.state.first_seq > 1 && relay.position?.globalPosition === '200') break;
      await sleep(100);
    }
    const info = await jsm.streams.info(streamName);
    assert.ok(info.state.first_seq > 1, 'the oldest events were dropped');
    assert.ok(info.state.bytes <= 8_192);
    assert.deepEqual(errors, [], 'the relay never failed to publish');

    await consumer.start();
    await appendToStream(t.pool, serverStreamId('limits', ''), [held('late')]);
    for (let i = 0; i < 100 && !seen.includes('late'); i++) await sleep(100);
    assert.ok(seen.includes('late'), 'the consumer goes on with newer events');
    assert.ok(!seen.includes('early-0'), 'the dropped ones are simply not delivered');
    await consumer.stop();
    await relay.stop();
  });
});
