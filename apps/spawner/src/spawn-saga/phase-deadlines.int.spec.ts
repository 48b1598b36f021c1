import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CondorClient } from '@condorhub/condor';
import { condorClientOptions } from '@condorhub/config';
import type { EventEnvelope } from '@condorhub/contracts';
import { sendCommand } from '@condorhub/messaging';
import { CONDOR_SIM_BIN, ensureUser, waitFor } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootPipeline } from '../../../all-in-one/src/testing/boot-pipeline';

const users = { submit: 'chdlsub', route: 'chdlroute', stop: 'chdlstop' };

describe('phase deadlines through the real spawner on condor-sim (short deadlines)', () => {
  let h: TestCondorhub;
  // condor_rm waits while this file exists: a schedd that does not answer a removal.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'chdl-bin-'));
  const rmHangs = path.join(bin, 'rm-hangs');

  before(async () => {
    for (const u of Object.values(users)) ensureUser(u);
    fs.chmodSync(bin, 0o755);
    for (const tool of ['condor_submit', 'condor_q', 'condor_rm', 'condor_history']) {
      const real = path.join(CONDOR_SIM_BIN, tool);
      const script =
        tool === 'condor_rm'
          ? `#!/bin/sh\nn=0\nwhile [ -e '${rmHangs}' ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done\nexec '${real}' "$@"\n`
          : `#!/bin/sh\nexec '${real}' "$@"\n`;
      fs.writeFileSync(path.join(bin, tool), script);
      fs.chmodSync(path.join(bin, tool), 0o755);
    }
    h = await createTestCondorhub({
      label: 'phase_deadlines',
      env: {
        CONDORHUB_CONDOR_BIN: bin,
        CONDORHUB_CONDOR_TIMEOUT_S: '60',
        CONDORHUB_PENDING_POLL_S: '0.3',
        CONDORHUB_SUBMIT_DEADLINE_S: '2',
        CONDORHUB_ROUTE_TIMEOUT_S: '2',
        CONDORHUB_STOP_TIMEOUT_S: '2',
        CONDORHUB_STOP_ATTEMPTS: '2',
      },
      // No proxy: a requested route is never added.
      boot: (config) => bootPipeline(config),
    });
  });
  after(async () => {
    fs.rmSync(rmHangs, { force: true });
    await h?.close();
    fs.rmSync(bin, { recursive: true, force: true });
  });

  const command = async (verb: 'start' | 'stop', user: string) => {
    const payload =
      verb === 'start' ? { user, serverName: '', by: user } : { user, serverName: '', by: user, reason: 'test' };
    const r = await sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', verb, payload, 10_000);
    assert.equal(r.accepted, true, JSON.stringify(r));
  };
  const types = async (user: string) => (await h.events(user)).map((e: EventEnvelope) => e.type as string);
  const jobsOf = async (user: string) => {
    const snapshot = await new CondorClient(condorClientOptions(h.config)).query();
    assert.equal(snapshot.status, 'ok');
    return snapshot.status === 'ok' ? snapshot.jobs.filter((j) => j.owner === user && j.status !== 'removing') : [];
  };

  it('requested: a submit that does not come back in time fails the spawn with a clear message; the late job is removed', async () => {
    // The schedd queues the job but answers after 6 s, longer than the 2 s deadline.
    h.sim.fault('submit-slow', { seconds: 6, owner: users.submit });
    await command('start', users.submit);
    const failed = await h.waitForEvent(users.submit, '', 'SpawnFailed', 30_000);
    assert.equal((failed.data as any).stage, 'submit');
    assert.match((failed.data as any).userMessage, /The job was not submitted within 2 s/);
    await h.waitForEvent(users.submit, '', 'ServerStopped', 30_000);
    // The submit's answer comes later: recorded, and its job removed.
    await h.waitForEvent(users.submit, '', 'JobSubmitted', 30_000);
    await waitFor(
      'the late job removed',
      async () => (await types(users.submit)).includes('JobRemovalRequested'),
      30_000,
    );
    await waitFor('no job of the spawn left', async () => (await jobsOf(users.submit)).length === 0, 30_000);
    const seen = await types(users.submit);
    assert.deepEqual(seen.slice(0, 4), ['SpawnRequested', 'SubmitTimedOut', 'SpawnFailed', 'ServerStopped']);
  });

  it('routing: a route the proxy never adds fails the spawn, and the job goes', async () => {
    await command('start', users.route);
    await h.waitForEvent(users.route, '', 'RouteRequested', 60_000);
    const failed = await h.waitForEvent(users.route, '', 'SpawnFailed', 30_000);
    assert.equal((failed.data as any).stage, 'route');
    assert.equal((failed.data as any).diagnosis, 'route-failed');
    assert.match((failed.data as any).userMessage, /did not add the route within 2 s/);
    await h.waitForEvent(users.route, '', 'ServerStopped', 30_000);
    const seen = await types(users.route);
    assert.ok(seen.indexOf('RouteTimedOut') < seen.indexOf('SpawnFailed'), seen.join(' '));
    assert.ok(seen.includes('RouteRemovalRequested') && seen.includes('JobRemovalRequested'), seen.join(' '));
    await waitFor('the job removed', async () => (await jobsOf(users.route)).length === 0, 30_000);
  });

  it('stopping: a removal that hangs is driven again at each deadline, and the server is stopped after the last', async () => {
    await command('start', users.stop);
    await h.waitForEvent(users.stop, '', 'JobSubmitted', 30_000);
    fs.writeFileSync(rmHangs, '');
    fs.chmodSync(rmHangs, 0o644);
    await command('stop', users.stop);
    const stopped = await h.waitForEvent(users.stop, '', 'ServerStopped', 30_000);
    assert.match((stopped.data as any).reason, /without the removal finishing/);
    const events = await h.events(users.stop);
    const timedOut = events.filter((e) => e.type === 'StopTimedOut').map((e) => (e.data as any).attempt);
    assert.deepEqual(timedOut, [1, 2]);
    const firstDeadline = events.findIndex((e) => e.type === 'StopTimedOut');
    assert.ok(
      events.slice(firstDeadline).some((e) => e.type === 'JobRemovalRequested'),
      `the first deadline drove the removal again: ${events.map((e) => e.type).join(' ')}`,
    );
    // The schedd answers again: the job goes, and the stop is not recorded twice.
    fs.rmSync(rmHangs);
    await waitFor('the job removed', async () => (await jobsOf(users.stop)).length === 0, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await types(users.stop)).filter((t) => t === 'ServerStopped').length, 1);
  });
});
