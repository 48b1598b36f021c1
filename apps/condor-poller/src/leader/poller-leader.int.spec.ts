// Two poller replicas: only the one holding the leader lock polls; when its store session is
// killed, the other takes over within a bounded time and the job's JobRunning is recorded once.
// Real condor-sim, store, NATS and projector.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CondorClient } from '@condorhub/condor';
import { condorClientOptions } from '@condorhub/config';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { checkReadiness } from '@condorhub/metrics';
import { ensureUser, waitFor } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapProjector } from '../../../projector/src/bootstrap';
import { bootstrapCondorPoller } from '../bootstrap';
import { CondorPollerService } from '../condor-poller.service';

const USER = 'chleader';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('condor-poller replicas elect one leader', () => {
  let h: TestCondorhub;
  let condor: CondorClient;
  let pollers: CondorPollerService[];
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'poller-leader',
      sim: { hosts: 1, slots: 2, delayMs: 1500 },
      env: { CONDORHUB_PENDING_POLL_S: '0.2', CONDORHUB_RUNNING_POLL_S: '0.5' },
      // The projector relays JobSubmitted to both pollers and keeps the servers read model.
      boot: async (config) => [
        await bootstrapProjector(config),
        await bootstrapCondorPoller(config),
        await bootstrapCondorPoller(config),
      ],
    });
    pollers = h.apps.slice(1).map((app) => app.get(CondorPollerService));
    condor = new CondorClient({ ...condorClientOptions(h.config), commandPrefix: 'runuser -u {user} --' });
  });
  after(async () => h?.close());

  const leaders = () => pollers.filter((p) => p.leadership.isLeader);

  /** The store session holding the poller's leader lock (a session advisory lock on one bigint). */
  const lockHolders = async () => {
    const { rows } = await h.db.pool.query<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
          AND ((classid::bigint << 32) | objid::bigint) = hashtext($1)::bigint`,
      [`leader:${h.db.schema}:condor-poller`],
    );
    return rows.map((r) => r.pid);
  };

  it('polls from one replica only; the other stands by and says so', async () => {
    await waitFor('a leader', async () => leaders().length === 1 || undefined, 10_000);
    const [leader] = leaders();
    const standby = pollers.find((p) => p !== leader)!;
    const before = { leader: leader.condorQueries, standby: standby.condorQueries, cycles: leader.cycles };
    // The idle poller asks condor_q every CONDORHUB_RUNNING_POLL_S for strays: 0.5 s here.
    await sleep(2_000);
    assert.equal(leaders().length, 1);
    assert.ok(leader.cycles > before.cycles, 'the leader keeps cycling');
    assert.ok(leader.condorQueries > before.leader, 'the leader asks condor_q');
    assert.equal(standby.condorQueries, before.standby, 'the standby never asks condor_q');
    assert.equal(standby.cycles, 0, 'the standby has run no cycle');
    assert.deepEqual(await lockHolders().then((p) => p.length), 1);
    const ready = await checkReadiness();
    const roles = Object.entries(ready.checks)
      .filter(([name]) => name.startsWith('condor-poller: leader'))
      .map(([, r]) => r.detail)
      .sort();
    assert.deepEqual(roles, ['leader', 'standby']);
    assert.equal(ready.status, 'ready', 'a standby is ready too');
  });

  it("takes over when the leader's session dies, and records the job's JobRunning once", async () => {
    const [oldLeader] = leaders();
    const standby = pollers.find((p) => p !== oldLeader)!;
    // A job that starts running (1.5 s schedule delay) around the takeover.
    const spawnId = randomUUID();
    const job = await condor.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'], spawnId });
    const stream = serverStreamId(USER, 'lead');
    await appendToStream(
      h.db.pool,
      stream,
      [
        newEvent('SpawnRequested', { spawnId, user: USER, serverName: 'lead', options: {}, requestedBy: USER }),
        newEvent('JobSubmitted', { spawnId, jobId: job.jobId, submitHost: 'sim' }),
      ],
      { metadata: { correlationId: spawnId, actor: 'test' } },
    );
    const killedAt = Date.now();
    const [pid] = await lockHolders();
    await h.db.pool.query('SELECT pg_terminate_backend($1)', [pid]);

    await waitFor('the standby leads', async () => standby.leadership.isLeader || undefined, 5_000);
    const tookOverMs = Date.now() - killedAt;
    assert.ok(tookOverMs < 5_000, `took over after ${tookOverMs} ms`);
    await waitFor('the old leader stands by', async () => !oldLeader.leadership.isLeader || undefined, 5_000);

    const running = await waitFor(
      'JobRunning',
      async () => (await readStream(h.db.pool, stream)).find((e) => e.type === 'JobRunning'),
      20_000,
    );
    assert.equal((running.data as { jobId: string }).jobId, job.jobId);
    assert.ok(new Date(running.recordedAt).getTime() > killedAt, 'recorded after the old leader lost its lock');
    // Past the old leader's back-off: it must not take the lock back nor record anything again.
    await sleep(6_000);
    assert.equal(leaders().length, 1);
    assert.equal(leaders()[0], standby);
    const events = await readStream(h.db.pool, stream);
    assert.equal(events.filter((e) => e.type === 'JobRunning').length, 1, 'one JobRunning');
    assert.equal((await lockHolders()).length, 1);
    await condor.remove({ owner: USER, jobId: job.jobId }).catch(() => undefined);
  });
});
