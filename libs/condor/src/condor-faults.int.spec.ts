// Every condor-sim fault, observed through the adapter the way condor-poller will see it.
import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type CondorSim, ensureUser, startCondorSim, userDir, waitFor } from '../../../tools/condor-sim/harness';
import { condorCommandSeconds } from '@condorhub/metrics';
import { CondorClient, CondorCommandError, CondorTimeoutError, type CondorJobState, type JobId } from './index';

const USER = 'chtest2';

describe('condor-sim faults through the adapter', () => {
  let sim: CondorSim;
  let client: CondorClient;
  let work: string;

  before(() => {
    ensureUser(USER);
    sim = startCondorSim({ hosts: 2, slots: 1, delayMs: 200 });
    work = userDir(USER, sim.home);
    client = new CondorClient({
      binDir: sim.binDir,
      env: sim.env,
      commandPrefix: 'runuser -u {user} --',
      timeoutMs: 10_000,
      instance: 'faults',
    });
  });
  after(() => sim?.stop());
  afterEach(async () => {
    sim.clearFaults();
    // Leave an empty pool for the next case.
    const snap = await client.query();
    if (snap.status === 'ok') for (const j of snap.jobs) await client.remove({ jobId: j.jobId, owner: USER });
    await waitFor('empty queue', async () => {
      const s = await client.query();
      return s.status === 'ok' && s.jobs.length === 0;
    });
  });

  const job = async (id: JobId): Promise<CondorJobState | undefined> => {
    const snap = await client.query([id]);
    assert.equal(snap.status, 'ok');
    return snap.status === 'ok' ? snap.byId.get(id) : undefined;
  };
  const until = (id: JobId, status: string) =>
    waitFor(`${id} ${status}`, async () => {
      const j = await job(id);
      return j?.status === status ? j : undefined;
    });
  const sleeper = (spawnId: string, extra: Partial<Parameters<CondorClient['submit']>[0]> = {}) =>
    client.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'], spawnId, ...extra });

  it('never-schedule (per job, then per host): the job stays idle while others run', async () => {
    sim.fault('never-schedule', { attr: 'CondorhubSpawnId=stuck' });
    const stuck = await sleeper('stuck');
    const other = await sleeper('other');
    await until(other.jobId, 'running');
    assert.equal((await job(stuck.jobId))?.status, 'idle');
    await client.remove({ jobId: other.jobId, owner: USER });
    await client.remove({ jobId: stuck.jobId, owner: USER });
    sim.clearFaults();
    sim.fault('never-schedule', { host: '127.0.0.2' });
    const a = await sleeper('a');
    const s = await until(a.jobId, 'running');
    assert.equal(s.host, '127.0.0.3', 'the faulty host gets nothing');
  });

  it('reject: removed right after submit, with a RemoveReason in history', async () => {
    sim.fault('reject', { attr: 'CondorhubSpawnId=rej', reason: 'Job rejected by site policy' });
    const sub = await sleeper('rej');
    const snap = await client.query([sub.jobId]);
    assert.ok(snap.status === 'ok' && snap.missing.includes(sub.jobId));
    const h = await client.history([sub.jobId]);
    assert.equal(h.status, 'ok');
    if (h.status === 'ok') {
      assert.equal(h.byId.get(sub.jobId)?.status, 'removing');
      assert.equal(h.byId.get(sub.jobId)?.removeReason, 'Job rejected by site policy');
    }
  });

  it('hang: running on a slot but frozen before it can do anything', async () => {
    sim.fault('hang', { attr: 'CondorhubSpawnId=hang' });
    const marker = path.join(work, 'hang-marker');
    const sub = await client.submit({
      owner: USER,
      executable: '/usr/bin/touch',
      arguments: [marker],
      spawnId: 'hang',
    });
    const running = await until(sub.jobId, 'running');
    assert.ok(running.host);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await job(sub.jobId))?.status, 'running', 'still running');
    assert.equal(fs.existsSync(marker), false, 'the job never got to run');
    assert.equal((await client.remove({ jobId: sub.jobId, owner: USER })).outcome, 'marked');
  });

  it('kill after N s: removed with a reason, and the freed slot goes to the next idle job at once', async () => {
    // One host with one slot, so the next job must get exactly the killed job's slot.
    sim.fault('never-schedule', { host: '127.0.0.3' });
    // 3 s: `next` must be queued before the kill, or there is nothing to hand the slot to (a
    // submit takes over 1 s on a loaded machine; CI failed so twice).
    sim.fault('kill', { attr: 'CondorhubSpawnId=victim', after: 3 });
    const victim = await sleeper('victim');
    const next = await sleeper('next');
    // FIFO: the victim gets the only open slot; `next` can only run once that slot is freed.
    const ranOn = await until(victim.jobId, 'running');
    const reused = await until(next.jobId, 'running').catch(async (error) => {
      // What the pool looked like, for the next one who has to find out why.
      const snap = await client.query();
      console.error(`queue: ${JSON.stringify(snap.status === 'ok' ? snap.jobs : snap)}`);
      console.error(`sim: ${JSON.stringify(sim.status())}`);
      throw error;
    });
    assert.equal(reused.remoteHost, ranOn.remoteHost, 'same slot name, same host');
    await waitFor('victim gone', async () => {
      const snap = await client.query([victim.jobId]);
      return snap.status === 'ok' && snap.missing.includes(victim.jobId);
    });
    const h = await client.history([victim.jobId]);
    assert.ok(h.status === 'ok');
    const gone = h.status === 'ok' ? h.byId.get(victim.jobId) : undefined;
    assert.equal(gone?.status, 'removing');
    assert.match(gone?.removeReason ?? '', /SYSTEM_PERIODIC_REMOVE/);
    // Handed over in the same step as the kill, not at the next negotiation (epoch seconds).
    assert.ok(reused.jobCurrentStartDate! - gone!.enteredCurrentStatus! <= 1);
    assert.equal(gone?.lastRemoteHost, ranOn.remoteHost);
  });

  it('hold with a reason: JobStatus 5 with HoldReason and code, LastRemoteHost kept', async () => {
    sim.fault('hold', {
      attr: 'CondorhubSpawnId=hold',
      reason: 'Error from slot1_1@127.0.0.2: disk quota exceeded',
      code: 34,
      after: 0,
    });
    const sub = await sleeper('hold');
    const held = await until(sub.jobId, 'held');
    assert.equal(held.holdReason, 'Error from slot1_1@127.0.0.2: disk quota exceeded');
    assert.equal(held.holdReasonCode, 34);
    assert.equal(held.remoteHost, undefined);
    assert.match(held.lastRemoteHost ?? '', /^slot1_1@127\.0\.0\.\d$/);
  });

  it('condor_q fails: the snapshot is unknown (never "gone"), then recovers', async () => {
    const sub = await sleeper('qf');
    sim.fault('q-fail', { count: 1 });
    const bad = await client.query([sub.jobId]);
    assert.equal(bad.status, 'unknown');
    if (bad.status === 'unknown') {
      assert.ok(bad.error instanceof CondorCommandError);
      assert.match(bad.error.message, /Failed to fetch ads/);
    }
    const good = await client.query([sub.jobId]);
    assert.ok(good.status === 'ok' && good.byId.has(sub.jobId));
  });

  it('condor_q hangs longer than the timeout: killed and reported unknown', async () => {
    const sub = await sleeper('qs');
    sim.fault('q-slow', { seconds: 5, count: 1 });
    const impatient = new CondorClient({
      binDir: sim.binDir,
      env: sim.env,
      timeouts: { condor_q: 700 },
      instance: 'faults',
    });
    const snap = await impatient.query([sub.jobId]);
    assert.equal(snap.status, 'unknown');
    if (snap.status === 'unknown') assert.ok(snap.error instanceof CondorTimeoutError);
    const runs = (await condorCommandSeconds.get()).values.filter((v) => v.metricName?.endsWith('_count'));
    const count = (outcome: string) =>
      runs.find((v) => v.labels.command === 'condor_q' && v.labels.outcome === outcome)?.value ?? 0;
    assert.equal(count('timeout'), 1, 'condorhub_condor_command_duration_seconds{outcome="timeout"}');
    assert.ok(count('exit-nonzero') >= 1, 'the failed condor_q of the test before');
    assert.ok(count('ok') >= 1);
  });
});
