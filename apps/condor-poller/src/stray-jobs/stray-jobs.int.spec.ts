// Jobs of this hub that no live server names are removed after the grace period; jobs a
// server's stream names are not, even when neither the read model nor NATS told the poller of
// them; jobs without a spawn id of ours are never touched. Real condor-sim, store and NATS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CondorClient } from '@condorhub/condor';
import { condorClientOptions } from '@condorhub/config';
import { newEvent, removalStreamId, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { ensureUser, waitFor } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapCondorPoller } from '../bootstrap';

const USER = 'chstray';

describe('condor-poller removes stray jobs', () => {
  let h: TestCondorhub;
  let condor: CondorClient;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'poller-strays',
      sim: { hosts: 1, slots: 4, delayMs: 100 },
      env: { CONDORHUB_PENDING_POLL_S: '0.2', CONDORHUB_RUNNING_POLL_S: '0.5', CONDORHUB_STRAY_JOB_GRACE_S: '1' },
      boot: async (config) => [await bootstrapCondorPoller(config)],
    });
    // The hub's own tag (CONDORHUB_INSTANCE, derived from the database here).
    condor = new CondorClient({ ...condorClientOptions(h.config), commandPrefix: 'runuser -u {user} --' });
  });
  after(async () => h?.close());

  const inQueue = async (jobId: string) => {
    const q = await condor.query();
    assert.equal(q.status, 'ok');
    const job = q.status === 'ok' ? q.byId.get(jobId as never) : undefined;
    return job !== undefined && job.status !== 'removing';
  };

  it('keeps a job its server names, removes one nobody names, and leaves untagged jobs alone', async () => {
    // Named only by the store: a spawn whose JobSubmitted the poller never heard of.
    const liveSpawn = randomUUID();
    const live = await condor.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'], spawnId: liveSpawn });
    await appendToStream(
      h.db.pool,
      serverStreamId(USER, 'live'),
      [
        newEvent('SpawnRequested', {
          spawnId: liveSpawn,
          user: USER,
          serverName: 'live',
          options: {},
          requestedBy: USER,
        }),
        newEvent('JobSubmitted', { spawnId: liveSpawn, jobId: live.jobId, submitHost: 'sim' }),
      ],
      { metadata: { correlationId: liveSpawn, actor: 'test' } },
    );
    // The spawn's first job, submitted again after the schedd was slow: nobody names it.
    const straySpawn = randomUUID();
    const stray = await condor.submit({
      owner: USER,
      executable: '/bin/sleep',
      arguments: ['60'],
      spawnId: straySpawn,
    });
    // Not ours to judge: no CondorhubSpawnId.
    const untagged = await condor.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'] });

    const removal = await waitFor(
      'StrayJobRemoved',
      async () => (await readStream(h.db.pool, removalStreamId(straySpawn))).find((e) => e.type === 'StrayJobRemoved'),
      20_000,
    );
    assert.deepEqual(
      { ...(removal.data as object), unnamedForS: undefined },
      { spawnId: straySpawn, jobId: stray.jobId, owner: USER, outcome: 'marked', unnamedForS: undefined },
    );
    assert.equal(removal.metadata.actor, 'condor-poller');
    await waitFor('the stray job gone', async () => !(await inQueue(stray.jobId)) || undefined, 10_000);

    // Several grace periods later the others are still there, and the stray was removed once.
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok(await inQueue(live.jobId), 'the job the store names stays');
    assert.ok(await inQueue(untagged.jobId), 'a job without a spawn id stays');
    const removals = (await readStream(h.db.pool, removalStreamId(straySpawn))).filter(
      (e) => e.type === 'StrayJobRemoved',
    );
    assert.equal(removals.length, 1);
    assert.deepEqual(await readStream(h.db.pool, removalStreamId(liveSpawn)), []);

    for (const jobId of [live.jobId, untagged.jobId]) await condor.remove({ jobId, owner: USER, reason: 'test over' });
  });
});
