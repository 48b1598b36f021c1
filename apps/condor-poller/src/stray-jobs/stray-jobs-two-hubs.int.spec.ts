// Two hubs (two schemas, two instance tags: one set, one derived from the database) share one
// schedd. Each removes its own strays and leaves the other's jobs alone, even those its own
// store has never heard of. Real condor-sim, stores and NATS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CondorClient } from '@condorhub/condor';
import { condorClientOptions, instanceTagOf } from '@condorhub/config';
import { newEvent, removalStreamId, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { ensureUser, waitFor } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapCondorPoller } from '../bootstrap';

const USER = 'chstray';
const pollerEnv = {
  CONDORHUB_PENDING_POLL_S: '0.2',
  CONDORHUB_RUNNING_POLL_S: '0.5',
  CONDORHUB_STRAY_JOB_GRACE_S: '1',
};

describe('two hubs on one schedd', () => {
  let one: TestCondorhub;
  let two: TestCondorhub;
  let condorOne: CondorClient;
  let condorTwo: CondorClient;
  before(async () => {
    ensureUser(USER);
    one = await createTestCondorhub({
      label: 'strays-hub-one',
      sim: { hosts: 1, slots: 6, delayMs: 100 },
      env: pollerEnv,
      boot: async (config) => [await bootstrapCondorPoller(config)],
    });
    two = await createTestCondorhub({
      label: 'strays-hub-two',
      sim: { hosts: 1, slots: 1, delayMs: 100 },
      env: { ...pollerEnv, CONDORHUB_INSTANCE: 'hub-two' },
      boot: async (config) => [await bootstrapCondorPoller(config)],
    });
    // The tools find their schedd through the process environment: from here on both hubs'
    // pollers (and this test) use hub one's condor-sim; hub two's stays empty.
    Object.assign(process.env, one.sim.env);
    const asUser = { commandPrefix: 'runuser -u {user} --' };
    condorOne = new CondorClient({ ...condorClientOptions(one.config), ...asUser });
    condorTwo = new CondorClient({ ...condorClientOptions(two.config), ...asUser });
  });
  after(async () => {
    await two?.close();
    await one?.close();
  });

  const inQueue = async (jobId: string) => {
    // Each hub's condor_q sees only its own tag: ask both.
    for (const condor of [condorOne, condorTwo]) {
      const snap = await condor.query();
      assert.equal(snap.status, 'ok');
      const job = snap.status === 'ok' ? snap.byId.get(jobId as never) : undefined;
      if (job && job.status !== 'removing') return true;
    }
    return false;
  };

  const submit = (condor: CondorClient, spawnId: string) =>
    condor.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'], spawnId });

  const nameInStore = (h: TestCondorhub, spawnId: string, serverName: string, jobId: string) =>
    appendToStream(
      h.db.pool,
      serverStreamId(USER, serverName),
      [
        newEvent('SpawnRequested', { spawnId, user: USER, serverName, options: {}, requestedBy: USER }),
        newEvent('JobSubmitted', { spawnId, jobId, submitHost: 'sim' }),
      ],
      { metadata: { correlationId: spawnId, actor: 'test' } },
    );

  const strayRemovals = async (h: TestCondorhub, spawnId: string) =>
    (await readStream(h.db.pool, removalStreamId(spawnId))).filter((e) => e.type === 'StrayJobRemoved');

  it('each hub tags its jobs with its own instance and removes only its own strays', async () => {
    assert.equal(
      condorOne.config.instance,
      instanceTagOf(one.config.CONDORHUB_DATABASE_URL, one.config.CONDORHUB_DATABASE_SCHEMA),
    );
    assert.equal(condorTwo.config.instance, 'hub-two');
    assert.notEqual(condorOne.config.instance, condorTwo.config.instance);

    // Live servers of each hub, named only in that hub's store.
    const liveOneSpawn = randomUUID();
    const liveOne = await submit(condorOne, liveOneSpawn);
    await nameInStore(one, liveOneSpawn, 'live', liveOne.jobId);
    const liveTwoSpawn = randomUUID();
    const liveTwo = await submit(condorTwo, liveTwoSpawn);
    await nameInStore(two, liveTwoSpawn, 'live', liveTwo.jobId);
    // A stray of each hub: a job nobody names.
    const strayOneSpawn = randomUUID();
    const strayOne = await submit(condorOne, strayOneSpawn);
    const strayTwoSpawn = randomUUID();
    const strayTwo = await submit(condorTwo, strayTwoSpawn);
    // Submitted before hubs had their own tags: every hub still sees it, none may remove it.
    const legacyClient = new CondorClient({ ...condorClientOptions(one.config), instance: 'condorhub' });
    const legacySpawn = randomUUID();
    const legacy = await legacyClient.submit({
      owner: USER,
      executable: '/bin/sleep',
      arguments: ['60'],
      spawnId: legacySpawn,
    });

    const [removedOne] = await waitFor('hub one removes its stray', async () => {
      const r = await strayRemovals(one, strayOneSpawn);
      return r.length ? r : undefined;
    });
    assert.equal((removedOne.data as { jobId: string }).jobId, strayOne.jobId);
    const [removedTwo] = await waitFor('hub two removes its stray', async () => {
      const r = await strayRemovals(two, strayTwoSpawn);
      return r.length ? r : undefined;
    });
    assert.equal((removedTwo.data as { jobId: string }).jobId, strayTwo.jobId);

    // Several grace periods later each hub's live job is still there, and neither hub has
    // recorded a removal of a job that is not its own.
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(await inQueue(liveOne.jobId), "hub two left hub one's live job alone");
    assert.ok(await inQueue(liveTwo.jobId), "hub one left hub two's live job alone");
    assert.ok(await inQueue(legacy.jobId), 'a job with the old shared tag is never removed as a stray');
    assert.deepEqual(await strayRemovals(one, legacySpawn), []);
    assert.deepEqual(await strayRemovals(two, legacySpawn), []);
    assert.deepEqual(await strayRemovals(one, liveTwoSpawn), []);
    assert.deepEqual(await strayRemovals(one, strayTwoSpawn), []);
    assert.deepEqual(await strayRemovals(two, liveOneSpawn), []);
    assert.deepEqual(await strayRemovals(two, strayOneSpawn), []);
    assert.equal((await strayRemovals(one, strayOneSpawn)).length, 1);

    await condorOne.remove({ jobId: liveOne.jobId, owner: USER, reason: 'test over' });
    await condorTwo.remove({ jobId: liveTwo.jobId, owner: USER, reason: 'test over' });
    await legacyClient.remove({ jobId: legacy.jobId, owner: USER, reason: 'test over' });
  });
});
