import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventEnvelope } from '@condorhub/contracts';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../tools/condor-sim/harness';
import {
  STAND_IN_NOTEBOOK,
  type TestCondorhub,
  createTestCondorhub,
} from '../../all-in-one/src/testing/test-condorhub';
import { bootPipeline } from '../../all-in-one/src/testing/boot-pipeline';

// Each case has its own user, so faults can select it by owner and cases cannot collide.
const users = {
  never: 'chnever',
  reject: 'chreject',
  hang: 'chhang',
  hangEverywhere: 'chhangall',
  full: 'chfull',
  readonly: 'chrohome',
  exit: 'chexit',
  flaky: 'chflaky',
  named: 'chnamed',
  held: 'chheld',
  removedRunning: 'chrmrun',
};
const behaviourFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'standin-')), 'behaviour.json');

describe('spawn failures on condor-sim: each with its stage, diagnosis and user message', () => {
  let h: TestCondorhub;
  const mounts: string[] = [];

  before(async () => {
    for (const u of Object.values(users)) ensureUser(u);
    fs.chmodSync(path.dirname(behaviourFile), 0o755);
    fs.writeFileSync(
      behaviourFile,
      JSON.stringify({ [users.exit]: 'exit:3:ModuleNotFoundError: No module named jupyterhub' }),
    );
    fs.chmodSync(behaviourFile, 0o644);
    h = await createTestCondorhub({
      label: 'failures',
      env: {
        CONDORHUB_PENDING_POLL_S: '0.3',
        CONDORHUB_IDLE_TIMEOUT_S: '4',
        CONDORHUB_PORT_TIMEOUT_S: '4',
        CONDORHUB_HANDSHAKE_TIMEOUT_S: '4',
        CONDORHUB_UNKNOWN_AFTER_FAILURES: '3',
        CONDORHUB_NOTEBOOK_CMD: `python3 ${STAND_IN_NOTEBOOK} --behaviour ${behaviourFile}`,
      },
      boot: (config) => bootPipeline(config, { hub: true }),
    });
  });
  after(async () => {
    await h?.close();
    for (const m of mounts) spawnSync('umount', ['-l', m]);
  });

  const start = async (user: string, serverName = '') => {
    const r = await sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'start',
      { user, serverName, by: user },
      10_000,
    );
    assert.equal(r.accepted, true, JSON.stringify(r));
    return (r as any).result.spawnId as string;
  };
  const failure = async (user: string, serverName = '', timeoutMs = 40_000) => {
    const e = await h.waitForEvent(user, serverName, 'SpawnFailed', timeoutMs);
    const data = e.data as any;
    await visibleInHub(user, serverName, data);
    return data;
  };
  /** What the user sees: the hub's progress stream ends failed with the same diagnosis and message. */
  const visibleInHub = async (user: string, serverName: string, f: any) => {
    const hub = `http://127.0.0.1:${h.config.CONDORHUB_HUB_PORT}/hub/api`;
    const auth = { authorization: `token ${h.config.CONDORHUB_ADMIN_TOKEN}` };
    const path = serverName ? `servers/${serverName}` : 'server';
    const res = await fetch(`${hub}/users/${user}/${path}/progress`, {
      headers: auth,
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    const last = JSON.parse(
      text
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .at(-1)!
        .slice(6),
    );
    assert.equal(last.failed, true, text);
    assert.ok(last.message.includes(f.userMessage), `${last.message} / ${f.userMessage}`);
    assert.equal(last.condorhub?.diagnosis, f.diagnosis);
    const timeline = await fetch(`${hub}/condorhub/users/${user}/${path}/timeline`, { headers: auth });
    assert.match(await timeline.text(), new RegExp(`"SpawnFailed"[^]*${f.diagnosis}`));
  };
  const types = async (user: string, serverName = '') =>
    (await h.events(user, serverName)).map((e: EventEnvelope) => e.type as string);

  it('never scheduled: fails in the queue after the idle timeout and the job is removed', async () => {
    h.sim.fault('never-schedule', { owner: users.never });
    await start(users.never);
    const f = await failure(users.never);
    assert.equal(f.stage, 'queue');
    assert.equal(f.diagnosis, 'never-scheduled');
    assert.match(f.userMessage, /waited 4 s in the queue/);
    await h.waitForEvent(users.never, '', 'ServerStopped');
    assert.ok((await types(users.never)).includes('JobRemovalRequested'));
  });

  it('rejected by condor: the RemoveReason reaches the user', async () => {
    h.sim.fault('reject', { owner: users.reject, reason: 'Policy: notebooks need a project' });
    await start(users.reject);
    const f = await failure(users.reject);
    assert.equal(f.diagnosis, 'removed-by-condor', (await types(users.reject)).join(','));
    assert.match(f.userMessage, /Policy: notebooks need a project/);
    await h.waitForEvent(users.reject, '', 'ServerStopped');
  });

  it('held in the queue: the HoldReason and code reach the user through poller and spawner; the job is removed', async () => {
    h.sim.fault('hold', { owner: users.held, idle: true, reason: 'Job exceeded the scratch quota', code: 34 });
    await start(users.held);
    const f = await failure(users.held);
    assert.equal(f.stage, 'queue');
    assert.equal(f.diagnosis, 'held-by-condor');
    assert.equal(f.userMessage, 'HoldReason: Job exceeded the scratch quota. HTCondor put the job on hold.');
    assert.equal(f.detail, 'HoldReasonCode 34');
    await h.waitForEvent(users.held, '', 'ServerStopped');
    const t = await types(users.held);
    assert.ok(t.includes('JobHeld') && t.includes('JobRemovalRequested'), t.join(','));
  });

  it("removed while its job runs: an operator's condor_rm -reason reaches the user and the server stops", async () => {
    await start(users.removedRunning);
    // The notebook answered (no proxy here, so the route is the last step reached): the job runs.
    await h.waitForEvent(users.removedRunning, '', 'RouteRequested', 40_000);
    const submitted = (await h.events(users.removedRunning)).find((e) => e.type === 'JobSubmitted')!;
    const jobId = (submitted.data as any).jobId as string;
    execFileSync(path.join(h.sim.binDir, 'condor_rm'), [jobId, '-reason', 'Node drained for maintenance'], {
      env: { ...process.env, ...h.sim.env },
      timeout: 10_000,
    });
    const f = await failure(users.removedRunning);
    assert.equal(f.diagnosis, 'removed-by-condor');
    assert.match(
      f.userMessage,
      /^RemoveReason: Node drained for maintenance \(by user root\)\. HTCondor removed the job\.$/,
    );
    await h.waitForEvent(users.removedRunning, '', 'ServerStopped');
  });

  it('notebook exits at once: exit code, stderr tail and a module diagnosis', async () => {
    await start(users.exit);
    const f = await failure(users.exit);
    assert.equal(f.stage, 'start');
    assert.equal(f.diagnosis, 'module-missing');
    assert.match(f.stderrTail, /No module named jupyterhub/);
    const launcher = (await h.events(users.exit)).find((e) => e.type === 'LauncherReported')!;
    assert.equal((launcher.data as any).exitCode, 3);
  });

  it('home directory full: diagnosed by the preflight, long before any timeout', async () => {
    const home = ensureUser(users.full).home;
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', home]);
    mounts.push(home);
    const { uid, gid } = ensureUser(users.full);
    fs.chownSync(home, uid, gid);
    spawnSync('dd', ['if=/dev/zero', `of=${home}/filler`, 'bs=1k', 'count=200']);
    const t0 = Date.now();
    await start(users.full);
    const f = await failure(users.full, '', 10_000);
    assert.equal(f.diagnosis, 'home-over-quota');
    assert.match(f.userMessage, /full or over quota/);
    assert.ok(Date.now() - t0 < 10_000);
  });

  it('home directory not writable: diagnosed by the preflight', async () => {
    const home = ensureUser(users.readonly).home;
    fs.chmodSync(home, 0o500);
    try {
      await start(users.readonly);
      const f = await failure(users.readonly, '', 10_000);
      assert.equal(f.diagnosis, 'home-not-writable');
    } finally {
      fs.chmodSync(home, 0o755);
    }
  });

  it('condor_q failing for a while: the server stays up and the poller records unknown, never gone', async () => {
    await start(users.flaky);
    await h.waitForEvent(users.flaky, '', 'RouteRequested');
    const fault = h.sim.fault('q-fail');
    try {
      await h.waitForEvent(users.flaky, '', 'JobStateUnknown', 20_000);
    } finally {
      h.sim.ctl('fault', 'clear', String(fault.id));
    }
    await new Promise((r) => setTimeout(r, 1_500));
    const t = await types(users.flaky);
    assert.ok(!t.includes('SpawnFailed') && !t.includes('JobRemoved') && !t.includes('ServerStopped'), t.join(','));
  });

  it('a named server goes through the same path under /user/<name>/<server>/', async () => {
    await start(users.named, 'gpu');
    const route = await h.waitForEvent(users.named, 'gpu', 'RouteRequested');
    assert.equal((route.data as any).routeSpec, `/user/${users.named}/gpu/`);
    const answered = (await h.events(users.named, 'gpu')).find((e) => e.type === 'NotebookResponded')!;
    assert.match((answered.data as any).url, new RegExp(`/user/${users.named}/gpu/api$`));
  });

  it('hung node: a strike per failed spawn and one retry elsewhere; one user alone never quarantines it, a second user does; a retry failing the same way strikes no second node', async () => {
    h.sim.fault('hang', { owner: users.hang, host: '127.0.0.2' });
    const cmd = (verb: string, payload: unknown) =>
      sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', verb, payload, 10_000);
    const nodeEvents = async (host: string) =>
      (
        await h.db.pool.query(`SELECT type, data FROM events WHERE stream_id = $1 ORDER BY stream_version`, [
          `node-${host}`,
        ])
      ).rows.map((r) => [r.type as string, (r.data.user ?? null) as string | null]);
    const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 40_000) => {
      const deadline = Date.now() + ms;
      while (!(await ok())) {
        assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const count = async (user: string, type: string) => (await types(user)).filter((t) => t === type).length;

    const first = await start(users.hang);
    // Not `failure()`: the user's progress stream follows the automatic retry to ready.
    const f = (await h.waitForEvent(users.hang, '', 'SpawnFailed', 40_000)).data as any;
    assert.equal(f.stage, 'port');
    assert.equal(f.diagnosis, 'node-unresponsive');
    // The automatic retry avoids the node and gets to a route.
    await waitFor('the retry’s route', async () => (await count(users.hang, 'RouteRequested')) === 1);
    const events = await h.events(users.hang);
    const retry = events.filter((e) => e.type === 'SpawnRequested')[1];
    assert.equal((retry?.data as any)?.retryOf, first);
    assert.deepEqual((retry?.data as any)?.avoidHosts, ['127.0.0.2']);
    const running = events.filter((e) => e.type === 'JobRunning').map((e) => (e.data as any).host);
    assert.deepEqual(running, ['127.0.0.2', '127.0.0.3']);
    assert.deepEqual(await nodeEvents('127.0.0.2'), [['NodeStrikeRecorded', users.hang]]);

    // Stop, start again: the first free slot is on the same node, which hangs again for this
    // user. A second strike, but from the same user: no quarantine (it may be the user's doing).
    assert.equal((await cmd('stop', { user: users.hang, serverName: '', by: users.hang })).accepted, true);
    await waitFor('the stop', async () => (await count(users.hang, 'ServerStopped')) === 2, 20_000);
    await start(users.hang);
    await waitFor('the second failure', async () => (await count(users.hang, 'SpawnFailed')) === 2);
    await waitFor('the second retry’s route', async () => (await count(users.hang, 'RouteRequested')) === 2);
    assert.deepEqual(await nodeEvents('127.0.0.2'), [
      ['NodeStrikeRecorded', users.hang],
      ['NodeStrikeRecorded', users.hang],
    ]);

    // Another user whose jobs hang wherever they run: the first node gets a strike from a
    // second user and is quarantined; the retry on the other node fails the same way, which
    // points at the user: no strike there, and no further retry.
    h.sim.fault('hang', { owner: users.hangEverywhere });
    await start(users.hangEverywhere);
    await waitFor('the retry’s failure', async () => (await count(users.hangEverywhere, 'SpawnFailed')) === 2);
    await waitFor('the stop', async () => (await count(users.hangEverywhere, 'ServerStopped')) === 2, 20_000);
    assert.deepEqual(await nodeEvents('127.0.0.2'), [
      ['NodeStrikeRecorded', users.hang],
      ['NodeStrikeRecorded', users.hang],
      ['NodeStrikeRecorded', users.hangEverywhere],
      ['NodeQuarantined', null],
    ]);
    assert.deepEqual(await nodeEvents('127.0.0.3'), []);
    const all = await h.events(users.hangEverywhere);
    assert.deepEqual(
      all.filter((e) => e.type === 'JobRunning').map((e) => (e.data as any).host),
      ['127.0.0.2', '127.0.0.3'],
    );
    assert.equal(all.filter((e) => e.type === 'SpawnRequested').length, 2);
    const last = all.filter((e) => e.type === 'SpawnFailed').at(-1)!.data as any;
    assert.match(last.userMessage, /more likely in your environment/);

    // Operators release it.
    const released = await cmd('releaseNode', { host: '127.0.0.2', by: 'ops' });
    assert.equal(released.accepted, true, JSON.stringify(released));
    assert.equal((await nodeEvents('127.0.0.2')).at(-1)?.[0], 'NodeReleased');
    const again = await cmd('releaseNode', { host: '127.0.0.2', by: 'ops' });
    assert.deepEqual(again, { accepted: false, code: 'not-quarantined', reason: '127.0.0.2 is not quarantined' });
  });
});
