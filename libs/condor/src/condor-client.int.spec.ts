// The adapter against condor-sim: real tools, real daemon, real job processes as a real user.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type CondorSim, ensureUser, startCondorSim, userDir, waitFor } from '../../../tools/condor-sim/harness';
import { CondorClient, CondorSubmitRejectedError, type JobId } from './index';

const USER = 'chtest1';

describe('CondorClient on condor-sim', () => {
  let sim: CondorSim;
  let client: CondorClient;
  let work: string;

  before(() => {
    ensureUser(USER);
    sim = startCondorSim({ hosts: 2, slots: 2, delayMs: 200 });
    work = userDir(USER, sim.home);
    client = new CondorClient({
      binDir: sim.binDir,
      env: sim.env,
      commandPrefix: 'runuser -u {user} --',
      timeoutMs: 15_000,
      instance: 'it1',
    });
  });
  after(() => sim?.stop());

  const stateOf = async (id: JobId) => {
    const snap = await client.query([id]);
    assert.equal(snap.status, 'ok');
    return snap.status === 'ok' ? snap.byId.get(id) : undefined;
  };

  it('an empty queue is an ok snapshot with the tracked job missing', async () => {
    const snap = await client.query(['999.0']);
    assert.equal(snap.status, 'ok');
    if (snap.status === 'ok') assert.deepEqual(snap.missing, ['999.0']);
  });

  it('runs a job as its owner with exact arguments, environment, machine identity and output files', async () => {
    const script = path.join(work, 'job.sh');
    fs.writeFileSync(
      script,
      '#!/bin/sh\nprintf "%s|" "$@"; echo\necho "user=$(id -un) tricky=$TRICKY slot=$_CONDOR_SLOT"\ngrep -E "^(Machine|Name) = " "$_CONDOR_MACHINE_AD"\necho to-stderr >&2\nsleep 1\nexit 3\n',
    );
    fs.chmodSync(script, 0o755);
    const sub = await client.submit({
      owner: USER,
      executable: script,
      arguments: ['plain', 'with space', `it's "quoted"`, '$HOME', ''],
      environment: { TRICKY: `a 'b' "c" $d` },
      initialDir: work,
      output: path.join(work, 'out.txt'),
      error: path.join(work, 'err.txt'),
      log: path.join(work, 'job.log'),
      requestCpus: 1,
      requestMemoryMb: 256,
      spawnId: 'spawn-1',
    });
    assert.match(sub.jobId, /^\d+\.0$/);
    // Idle or already running, depending on how fast this machine is: both are in the queue.
    const queued = await stateOf(sub.jobId);
    assert.ok(queued && ['idle', 'running'].includes(queued.status));
    assert.equal(queued?.spawnId, 'spawn-1');
    assert.equal(queued?.owner, USER);
    const running = await waitFor('running', async () => {
      const s = await stateOf(sub.jobId);
      return s?.status === 'running' ? s : undefined;
    });
    assert.match(running.remoteHost!, /^slot1_\d+@127\.0\.0\.\d+$/);
    assert.equal(running.host, running.remoteHost!.split('@')[1]);
    // Completed jobs leave the queue and are found in history.
    await waitFor('gone from the queue', async () => {
      const snap = await client.query([sub.jobId]);
      return snap.status === 'ok' && snap.missing.includes(sub.jobId);
    });
    const hist = await client.history([sub.jobId, '99999.0']);
    assert.equal(hist.status, 'ok');
    if (hist.status !== 'ok') return;
    const done = hist.byId.get(sub.jobId)!;
    assert.equal(done.status, 'completed');
    assert.equal(done.exitCode, 3);
    assert.equal(done.lastRemoteHost, running.remoteHost);
    assert.deepEqual(hist.notFound, ['99999.0']);
    const out = fs.readFileSync(path.join(work, 'out.txt'), 'utf8').split('\n');
    assert.equal(out[0], `plain|with space|it's "quoted"|$HOME||`);
    assert.equal(out[1], `user=${USER} tricky=a 'b' "c" $d slot=${running.slot}`);
    assert.ok(out.includes(`Machine = "${running.host}"`));
    assert.ok(out.includes(`Name = "${running.remoteHost}"`));
    assert.equal(fs.readFileSync(path.join(work, 'err.txt'), 'utf8'), 'to-stderr\n');
    const st = fs.statSync(path.join(work, 'out.txt'));
    assert.equal(st.uid, ensureUser(USER).uid, 'output written by the owner');
    assert.match(
      fs.readFileSync(path.join(work, 'job.log'), 'utf8'),
      /^005 \(\d{3,}\.000\.000\) .* Job terminated\.$/m,
    );
  });

  it('honours Machine =!= exclusions', async () => {
    const sub = await client.submit({
      owner: USER,
      executable: '/bin/sleep',
      arguments: ['30'],
      excludeMachines: ['127.0.0.2'],
    });
    const s = await waitFor('running', async () => {
      const j = await stateOf(sub.jobId);
      return j?.status === 'running' ? j : undefined;
    });
    assert.equal(s.host, '127.0.0.3');
    await client.remove({ jobId: sub.jobId, owner: USER });
  });

  it('removes a running job: marked, then gone with its RemoveReason; a second remove is done too', async () => {
    const sub = await client.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'] });
    await waitFor('running', async () => (await stateOf(sub.jobId))?.status === 'running');
    const r1 = await client.remove({ jobId: sub.jobId, owner: USER, reason: 'stopped by hub' });
    assert.equal(r1.outcome, 'marked');
    const r2 = await client.remove({ jobId: sub.jobId, owner: USER });
    assert.ok(['already-removing', 'not-found'].includes(r2.outcome));
    await waitFor('gone', async () => {
      const snap = await client.query([sub.jobId]);
      return snap.status === 'ok' && snap.missing.length === 1;
    });
    const hist = await client.history([sub.jobId]);
    assert.equal(hist.status === 'ok' && hist.byId.get(sub.jobId)?.removeReason, `stopped by hub (by user ${USER})`);
    assert.equal((await client.remove({ jobId: sub.jobId, owner: USER })).outcome, 'not-found');
  });

  it("a rejected submit is a typed error with condor's message", async () => {
    const root = new CondorClient({ binDir: sim.binDir, env: sim.env, instance: 'it1' });
    await assert.rejects(root.submit({ owner: 'root', executable: '/bin/true' }), (e: unknown) => {
      assert.ok(e instanceof CondorSubmitRejectedError);
      assert.match(e.condorMessage, /Failed to commit job submission into the queue/);
      return true;
    });
    await assert.rejects(client.submit({ owner: USER, executable: '/no/such/exe' }), (e: unknown) => {
      assert.ok(e instanceof CondorSubmitRejectedError);
      assert.match(e.condorMessage, /Can't access executable file \/no\/such\/exe/);
      return true;
    });
  });

  it('keeps the queue and running jobs across a daemon restart; a stopped schedd is "unknown", not gone', async () => {
    const sub = await client.submit({ owner: USER, executable: '/bin/sh', arguments: ['-c', 'sleep 2; exit 7'] });
    await waitFor('running', async () => (await stateOf(sub.jobId))?.status === 'running');
    sim.stopDaemon();
    const down = await client.query([sub.jobId]);
    assert.equal(down.status, 'unknown');
    sim.start();
    const again = await stateOf(sub.jobId);
    assert.equal(again?.status, 'running');
    await waitFor('completed', async () => {
      const h = await client.history([sub.jobId]);
      return h.status === 'ok' && h.byId.get(sub.jobId)?.exitCode === 7;
    });
  });
});
