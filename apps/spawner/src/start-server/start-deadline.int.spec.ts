import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { advisoryXactLock, appendToStream } from '@condorhub/event-store';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapSpawner } from '../bootstrap';

const USER = 'chdeadline';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A start the spawner can decide only after its requester stopped waiting (the hub answered the
// user 503 "did not answer") must not start a server behind the user's back.
describe("spawner start command: the requester's wait", () => {
  let h: TestCondorhub;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'start-deadline',
      boot: async (config) => [await bootstrapSpawner(config)],
    });
  });
  after(async () => h?.close());

  const start = (serverName: string, replyWithinMs?: number) =>
    sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'start',
      { user: USER, serverName, options: {}, by: USER, ...(replyWithinMs ? { replyWithinMs } : {}) },
      10_000,
    );

  /** Runs `fn` while this user's named starts wait for their lock (as behind 200 others) for `ms`. */
  async function behindOtherStarts<T>(ms: number, fn: () => Promise<T>): Promise<T> {
    const tx = await h.db.pool.connect();
    try {
      await tx.query('BEGIN');
      await advisoryXactLock(tx, `condorhub:start-named:${USER}`);
      const pending = fn();
      await sleep(ms);
      await tx.query('ROLLBACK');
      return await pending;
    } finally {
      tx.release();
    }
  }

  it('refuses, and stores nothing, a start decided after the time its requester waits', async () => {
    const reply = (await behindOtherStarts(1_500, () => start('late', 1_000))) as any;
    assert.equal(reply.accepted, false, JSON.stringify(reply));
    assert.equal(reply.code, 'unavailable');
    assert.match(reply.reason, /within 1000 ms; nothing was started/);
    assert.deepEqual(await h.events(USER, 'late'), []);
  });

  it('rolls back a start decided in time whose append waited past it', async () => {
    // A server stopped before, so its stream row exists to be held.
    const stream = serverStreamId(USER, 'slow');
    const spawnId = randomUUID();
    await appendToStream(h.db.pool, stream, [
      newEvent('SpawnRequested', { spawnId, user: USER, serverName: 'slow', options: {}, requestedBy: USER }),
      newEvent('SpawnFailed', { spawnId, stage: 'submit', diagnosis: 'submit-rejected', userMessage: 'no' }),
      newEvent('ServerStopped', { spawnId, reason: 'spawn-failed' }),
    ]);
    const tx = await h.db.pool.connect();
    let reply: any;
    try {
      await tx.query('BEGIN');
      await tx.query('SELECT 1 FROM streams WHERE stream_id = $1 FOR UPDATE', [stream]);
      const pending = start('slow', 1_000);
      await sleep(1_500);
      await tx.query('ROLLBACK');
      reply = await pending;
    } finally {
      tx.release();
    }
    assert.equal(reply.accepted, false, JSON.stringify(reply));
    assert.equal(reply.code, 'unavailable');
    assert.match(reply.reason, /within 1000 ms; nothing was started/);
    assert.deepEqual(
      (await h.events(USER, 'slow')).map((e) => e.type),
      ['SpawnRequested', 'SpawnFailed', 'ServerStopped'],
    );
    const { rows } = await h.db.pool.query('SELECT 1 FROM scheduled_messages WHERE stream_id = $1', [stream]);
    assert.equal(rows.length, 0, 'no deadline armed');
  });

  it('starts when decided in time, and waits as long as needed for a sender that sets no limit', async () => {
    const prompt = await start('prompt', 5_000);
    assert.equal(prompt.accepted, true, JSON.stringify(prompt));
    const patient = await behindOtherStarts(1_500, () => start('patient'));
    assert.equal(patient.accepted, true, JSON.stringify(patient));
    for (const name of ['prompt', 'patient']) {
      assert.equal((await h.events(USER, name))[0]?.type, 'SpawnRequested');
    }
  });

  it('refuses a wait the contract does not allow, changing nothing', async () => {
    const reply = await sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', 'start', {
      user: USER,
      serverName: 'odd',
      by: USER,
      replyWithinMs: 5,
    });
    assert.equal(reply.accepted, false);
    assert.equal((reply as any).code, 'invalid', JSON.stringify(reply));
    assert.match((reply as any).reason, /replyWithinMs/);
    assert.deepEqual(await h.events(USER, 'odd'), []);
  });
});
