// `-name` and `-pool` reach every tool: a hub pointed at a second schedd of the pool submits,
// queries, removes and reads history there only; an unknown schedd is refused as HTCondor
// refuses it. Real condor-sim with two named schedds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type CondorSim, ensureUser, startCondorSim, waitFor } from '../../../tools/condor-sim/harness';
import { CondorClient, CondorCommandError, CondorSubmitRejectedError } from './index';

const USER = 'chtest1';

describe('CondorClient with named schedds on condor-sim', () => {
  let sim: CondorSim;
  const client = (scheddName?: string) =>
    new CondorClient({
      binDir: sim.binDir,
      env: sim.env,
      commandPrefix: 'runuser -u {user} --',
      timeoutMs: 15_000,
      instance: 'named-it',
      scheddName,
      pool: 'cm.example.org:9618',
    });

  before(() => {
    ensureUser(USER);
    sim = startCondorSim({
      hosts: 1,
      slots: 4,
      delayMs: 100,
      config: { scheddName: 'submit-a.example.org', extraSchedds: ['submit-b.example.org'] },
    });
  });
  after(() => sim?.stop());

  it('submits, queries, removes and reads history on the named schedd only', async () => {
    const onB = client('submit-b.example.org');
    const local = client();
    const sub = await onB.submit({ owner: USER, executable: '/bin/sleep', arguments: ['60'], spawnId: 'on-b' });
    assert.match(sub.description, /^\+CondorhubInstance = "named-it"$/m);

    const seenOnB = await waitFor('running on B', async () => {
      const snap = await onB.query([sub.jobId]);
      const job = snap.status === 'ok' ? snap.byId.get(sub.jobId) : undefined;
      return job?.status === 'running' ? job : undefined;
    });
    assert.equal(seenOnB.instance, 'named-it');
    assert.equal(seenOnB.spawnId, 'on-b');
    const seenLocally = await local.query([sub.jobId]);
    assert.equal(seenLocally.status, 'ok');
    if (seenLocally.status === 'ok')
      assert.deepEqual(seenLocally.missing, [sub.jobId], 'the local schedd has no such job');
    // The local schedd cannot remove what it does not hold.
    assert.equal((await local.remove({ jobId: sub.jobId, owner: USER })).outcome, 'not-found');

    assert.equal((await onB.remove({ jobId: sub.jobId, owner: USER, reason: 'test over' })).outcome, 'marked');
    await waitFor('gone from B', async () => {
      const snap = await onB.query([sub.jobId]);
      return snap.status === 'ok' && snap.missing.length === 1;
    });
    const onBHistory = await onB.history([sub.jobId]);
    assert.equal(
      onBHistory.status === 'ok' && onBHistory.byId.get(sub.jobId)?.removeReason,
      `test over (by user ${USER})`,
    );
    const localHistory = await local.history([sub.jobId]);
    assert.deepEqual(localHistory.status === 'ok' && localHistory.notFound, [sub.jobId]);
  });

  it('an unknown schedd name is refused by every tool in its own HTCondor wording, and never reads as "no jobs"', async () => {
    const nowhere = client('no-such-schedd');
    await assert.rejects(nowhere.submit({ owner: USER, executable: '/bin/true' }), (e: unknown) => {
      assert.ok(e instanceof CondorSubmitRejectedError);
      assert.match(e.condorMessage, /Can't find address of schedd no-such-schedd/);
      assert.match(e.command ?? '', /-name no-such-schedd -pool cm\.example\.org:9618/);
      return true;
    });
    const snap = await nowhere.query();
    assert.equal(snap.status, 'unknown', 'a schedd that cannot be found is "unknown", never "no jobs"');
    if (snap.status === 'unknown') {
      assert.ok(snap.error instanceof CondorCommandError);
      assert.equal(snap.error.stderr, 'Error: Collector has no record of schedd/submitter\n');
      assert.match(snap.error.command ?? '', /condor_q -name no-such-schedd -pool cm\.example\.org:9618/);
    }
    await assert.rejects(nowhere.remove({ jobId: '1.0' as never, owner: USER }), (e: unknown) => {
      assert.ok(e instanceof CondorCommandError);
      assert.equal(e.stderr, "condor_rm: Can't find address for schedd no-such-schedd\n");
      return true;
    });
    const hist = await nowhere.history(['1.0' as never]);
    assert.equal(hist.status, 'unknown');
    if (hist.status === 'unknown') {
      assert.ok(hist.error instanceof CondorCommandError);
      assert.equal(
        hist.error.stderr,
        'Unable to locate remote schedd (name=no-such-schedd, pool=cm.example.org:9618).\n',
      );
    }
  });
});
