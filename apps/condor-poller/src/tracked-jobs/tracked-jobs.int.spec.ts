// The poller follows a job from its JobSubmitted event alone, before (here: without) any
// projection: real condor-sim, real NATS, real store; no projector runs in this test.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CondorClient } from '@condorhub/condor';
import { type EventEnvelope, eventSubject, serverStreamId } from '@condorhub/contracts';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapCondorPoller } from '../bootstrap';

const USER = 'chpoll';

describe('condor-poller tracks jobs from JobSubmitted events', () => {
  let h: TestCondorhub;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'poller-fresh',
      sim: { hosts: 1, slots: 2, delayMs: 100 },
      env: { CONDORHUB_PENDING_POLL_S: '0.2' },
      boot: async (config) => [await bootstrapCondorPoller(config)],
    });
  });
  after(async () => h?.close());

  it('appends JobRunning for a job the read model has never shown, and ignores malformed messages', async () => {
    const spawnId = randomUUID();
    const condor = new CondorClient({ binDir: h.config.CONDORHUB_CONDOR_BIN, commandPrefix: 'runuser -u {user} --' });
    const { jobId } = await condor.submit({ owner: USER, executable: '/bin/sleep', arguments: ['30'], spawnId });
    const streamId = serverStreamId(USER, 'fresh');
    const subject = eventSubject(h.config.CONDORHUB_NATS_PREFIX, streamId, 'JobSubmitted');
    h.nats.nc.publish(subject, 'not json');
    h.nats.nc.publish(subject, JSON.stringify({ type: 'JobSubmitted', data: {} }));
    const envelope: EventEnvelope = {
      eventId: randomUUID(),
      type: 'JobSubmitted',
      schemaVersion: 1,
      streamId,
      streamVersion: 2,
      globalPosition: '2',
      transactionId: '1',
      recordedAt: new Date().toISOString(),
      data: { spawnId, jobId, submitHost: 'sim' },
      metadata: {},
    } as EventEnvelope;
    h.nats.nc.publish(subject, JSON.stringify(envelope));

    const running = await h.waitForEvent(USER, 'fresh', 'JobRunning', 15_000);
    assert.equal((running.data as { jobId: string }).jobId, jobId);
    assert.equal(running.metadata.actor, 'condor-poller');
    const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM servers');
    assert.equal(rows[0].n, 0, 'no projection ran: the job was tracked from the event');

    // Leaving condor ends the tracking with one event, not one per cycle.
    await condor.remove({ jobId, owner: USER, reason: 'test over' });
    await h.waitForEvent(USER, 'fresh', 'JobRemoved', 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const removed = (await h.events(USER, 'fresh')).filter((e) => e.type === 'JobRemoved');
    assert.equal(removed.length, 1);
  });
});
