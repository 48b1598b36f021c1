import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { PrivateNatsServer, type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { DurableConsumer, connectNats, createRelay, ensureEventStream, idempotent } from './index';

const root = path.resolve(__dirname, '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('relay and durable consumer: nothing lost, nothing doubled (real PostgreSQL + NATS)', () => {
  let t: TestDatabase;
  let nats: PrivateNatsServer;
  let nc: NatsConnection;
  const prefix = 'relaytest';
  const streamName = 'RELAYTEST';
  let relay: ChildProcess | undefined;

  const startRelay = () => {
    relay = spawn(
      process.execPath,
      ['-r', path.join(root, 'tools/register.js'), 'apps/projector/src/relay/relay.main.ts'],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          CONDORHUB_DATABASE_URL: t.db.url,
          CONDORHUB_DATABASE_SCHEMA: t.schema,
          CONDORHUB_NATS_URL: nats.url,
          CONDORHUB_NATS_PREFIX: prefix,
          CONDORHUB_NATS_STREAM: streamName,
        },
      },
    );
  };
  const killRelay = async () => {
    const r = relay;
    relay = undefined;
    if (!r || r.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      r.once('exit', () => resolve());
      r.kill('SIGKILL');
    });
  };

  before(async () => {
    t = await createTestDatabase('relay');
    await t.pool.query('CREATE TABLE effects (id bigserial PRIMARY KEY, event_id uuid NOT NULL)');
    nats = await PrivateNatsServer.start();
    nc = await connectNats({ url: nats.url, name: 'relay-test' });
    await ensureEventStream(nc, { streamName, prefix });
  });
  after(async () => {
    await killRelay();
    await nc?.close().catch(() => undefined);
    await nats?.dispose();
    await t?.drop();
  });

  it('publishes every event once and applies each effect once across a SIGKILLed relay and a NATS restart', async () => {
    const consumer = new DurableConsumer({
      nc,
      streamName,
      prefix,
      durable: 'effects',
      backoffMs: [100],
      handle: idempotent(t.pool, 'effects', async (event, tx) => {
        await tx.query('INSERT INTO effects (event_id) VALUES ($1)', [event.eventId]);
      }),
    });
    await consumer.start();
    startRelay();

    const total = 1_500;
    const spawnId = randomUUID();
    for (let i = 0; i < total; i += 10) {
      await appendToStream(
        t.pool,
        serverStreamId(`user${i % 7}`, ''),
        Array.from({ length: 10 }, (_, k) => newEvent('JobIdle', { spawnId, jobId: `${i + k}.0` })),
      );
      if (i === 300) {
        await sleep(200);
        await killRelay(); // mid-stream, between a publish and its checkpoint at worst
        startRelay();
      }
      if (i === 700) await nats.down();
      if (i === 900) await nats.up();
      if (i % 100 === 0) await sleep(20);
    }

    const count = async () =>
      (
        await t.pool.query<{ n: number; d: number }>(
          'SELECT count(*)::int n, count(DISTINCT event_id)::int d FROM effects',
        )
      ).rows[0];
    for (let i = 0; i < 600 && (await count()).d < total; i++) await sleep(100);
    await sleep(500);
    await consumer.stop();

    const { n, d } = await count();
    assert.equal(d, total, 'every event applied');
    assert.equal(n, total, 'no effect applied twice');
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(streamName);
    assert.equal(info.state.messages, total, 'each event is in JetStream once');
  });

  it('two relays at once: only one publishes; the other takes over when it stops', async () => {
    await killRelay();
    const published = [0, 0];
    const relays = [0, 1].map((i) =>
      createRelay({
        pool: t.pool,
        db: t.db,
        nc,
        prefix,
        onPublished: (events) => void (published[i] += events.length),
      }),
    );
    relays.forEach((r) => r.start());
    const spawnId = randomUUID();
    const append = (n: number) =>
      appendToStream(
        t.pool,
        serverStreamId('twin', ''),
        Array.from({ length: n }, (_, k) => newEvent('JobIdle', { spawnId, jobId: `${k}.1` })),
      );
    await append(50);
    for (let i = 0; i < 100 && published[0] + published[1] < 50; i++) await sleep(100);
    assert.equal(published[0] + published[1], 50, JSON.stringify(published));
    assert.ok(published[0] === 0 || published[1] === 0, `only one relay published: ${published}`);
    const active = published[0] ? 0 : 1;
    await relays[active].stop();
    await append(10);
    for (let i = 0; i < 100 && published[1 - active] < 10; i++) await sleep(100);
    assert.equal(published[1 - active], 10, 'the standby took over');
    await relays[1 - active].stop();
  });
});
