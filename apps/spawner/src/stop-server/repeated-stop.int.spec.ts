import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { type EventEnvelope, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser, waitFor } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapCondorPoller } from '../../../condor-poller/src/bootstrap';
import { bootstrapProjector } from '../../../projector/src/bootstrap';
import { bootstrapSpawner } from '../bootstrap';
import { SPAWNER_CONSUMER } from '../spawn-saga/spawn-saga.handler';

const USER = 'chrestop';

describe('a repeated stop drives a stuck removal again (real spawner on condor-sim)', () => {
  let h: TestCondorhub;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'repeated_stop',
      // The stop's own deadline is far away: only the second stop can unstick it here.
      env: { CONDORHUB_PENDING_POLL_S: '0.3', CONDORHUB_STOP_TIMEOUT_S: '3600' },
      boot: async (config) => [
        await bootstrapProjector(config),
        await bootstrapSpawner(config),
        await bootstrapCondorPoller(config),
      ],
    });
  });
  after(async () => h?.close());

  const command = (verb: 'start' | 'stop') =>
    sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      verb,
      { user: USER, serverName: '', by: USER, ...(verb === 'stop' ? { reason: 'test' } : {}) },
      10_000,
    );
  const types = async () => (await h.events(USER)).map((e: EventEnvelope) => e.type as string);

  it('a StopRequested the spawner never saw leaves the server stopping; the second stop removes the job and stops it', async () => {
    assert.equal((await command('start')).accepted, true);
    const submitted = await h.waitForEvent(USER, '', 'JobSubmitted', 30_000);
    // The spawner goes away, and the stop it should have handled is lost on the way (as a
    // message dead-lettered or dropped by the stream's limits would be).
    const spawner = h.apps.splice(1, 1)[0];
    await spawner.close();
    // (No expected version: the poller may be recording the job's state meanwhile.)
    await appendToStream(h.db.pool, serverStreamId(USER, ''), [
      newEvent('StopRequested', { spawnId: (submitted.data as any).spawnId, by: USER, reason: 'test' }),
    ]);
    const js = jetstream(h.nats.nc);
    const lane = await js.consumers.get(h.nats.streamName, SPAWNER_CONSUMER);
    await waitFor(
      'the stop taken off the spawner lane',
      async () => {
        const m = await lane.next({ expires: 1_000 });
        if (!m) return false;
        if (m.headers?.get('Condorhub-Type') === 'StopRequested') {
          m.ack();
          return true;
        }
        m.nak(5_000);
        return false;
      },
      30_000,
    );
    h.apps.push(await bootstrapSpawner(h.config));
    await new Promise((r) => setTimeout(r, 2_000));
    assert.ok(!(await types()).includes('JobRemovalRequested'), 'stuck: nothing removes the job');

    // The user presses Stop again.
    const again = await command('stop');
    assert.equal(again.accepted, true, JSON.stringify(again));
    await h.waitForEvent(USER, '', 'ServerStopped', 30_000);
    const seen = await types();
    assert.equal(seen.filter((t) => t === 'StopRequested').length, 2);
    assert.ok(seen.indexOf('JobRemovalRequested') > seen.lastIndexOf('StopRequested'), seen.join(' '));
  });
});
