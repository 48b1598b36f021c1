import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jetstreamManager } from '@nats-io/jetstream';
import { CondorClient } from '@condorhub/condor';
import { condorClientOptions } from '@condorhub/config';
import { sendCommand } from '@condorhub/messaging';
import { TcpForwarder } from '@condorhub/testing';
import { ensureUser, waitFor } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapCondorPoller } from '../../../condor-poller/src/bootstrap';
import { bootstrapProjector } from '../../../projector/src/bootstrap';
import { bootstrapSpawner } from '../bootstrap';
import { SPAWNER_CONDOR_CONSUMER } from './spawn-saga.handler';

const USER = 'choutage';

describe('the spawner through a PostgreSQL outage (real spawner, condor-sim, a cut store connection)', () => {
  let h: TestCondorhub;
  let forwarder: TcpForwarder;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'spawner_outage',
      env: { CONDORHUB_CONDOR_TIMEOUT_S: '60', CONDORHUB_PENDING_POLL_S: '0.3' },
      boot: async (config) => {
        // Only the spawner reaches PostgreSQL through the forwarder the test cuts.
        const target = new URL(config.CONDORHUB_DATABASE_URL);
        forwarder = await TcpForwarder.start({ host: target.hostname, port: Number(target.port || 5432) });
        const viaForwarder = new URL(config.CONDORHUB_DATABASE_URL);
        viaForwarder.port = String(forwarder.port);
        return [
          await bootstrapProjector(config),
          await bootstrapCondorPoller(config),
          // Another port is another derived instance tag: keep this hub's, as a site would.
          await bootstrapSpawner({
            ...config,
            CONDORHUB_DATABASE_URL: viaForwarder.toString(),
            CONDORHUB_INSTANCE: condorClientOptions(config).instance,
          }),
        ];
      },
    });
  });
  after(async () => {
    await forwarder?.up();
    await h?.close();
    await forwarder?.down();
  });

  const jobsOf = async () => {
    const snapshot = await new CondorClient(condorClientOptions(h.config)).query();
    return snapshot.status === 'ok' ? snapshot.jobs.filter((j) => j.owner === USER) : [];
  };

  it('a submit that returns while the store is down is held, not redelivered nor dead-lettered, and recorded once it is back', async () => {
    // The schedd queues the job at once and answers after 4 s: the store goes down meanwhile.
    h.sim.fault('submit-slow', { seconds: 4, owner: USER });
    const r = await sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'start',
      { user: USER, serverName: '', by: USER },
      10_000,
    );
    assert.equal(r.accepted, true, JSON.stringify(r));
    await waitFor('the job queued', async () => (await jobsOf()).length === 1, 30_000);
    await forwarder.down();
    // Longer than the submit, and than several of the old redelivery backoffs (0.5 s, 2 s, …).
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const jsm = await jetstreamManager(h.nats.nc);
    const info = await jsm.consumers.info(h.nats.streamName, SPAWNER_CONDOR_CONSUMER);
    assert.equal(info.num_redelivered, 0, 'the store outage did not count as a failed delivery');
    assert.equal(info.num_ack_pending, 1, 'the SpawnRequested is still held by its handler');

    await forwarder.up();
    await h.waitForEvent(USER, '', 'JobSubmitted', 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const events = await h.events(USER);
    assert.equal(events.filter((e) => e.type === 'JobSubmitted').length, 1);
    assert.equal((await jobsOf()).length, 1, 'one job: the submit was not repeated');
    assert.equal((await h.db.pool.query('SELECT 1 FROM dead_letters')).rowCount, 0);
  });
});
