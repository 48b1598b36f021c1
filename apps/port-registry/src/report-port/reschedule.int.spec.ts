// HTCondor evicts a ready server's job and starts it again on another node: the new launcher's
// port report for the same spawn is accepted, the new notebook is proven by the handshake, and
// the route moves there. The whole of condorhub on condor-sim, through the real proxy.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope } from '@condorhub/contracts';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { bootAll } from '../../../all-in-one/src/boot-all';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';

const USER = 'chresched';

describe('a rescheduled job: the new port report moves the route', () => {
  let h: TestCondorhub;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'reschedule',
      env: { CONDORHUB_PENDING_POLL_S: '0.3', CONDORHUB_RUNNING_POLL_S: '0.5' },
      boot: (config) => bootAll(config),
    });
  });
  after(async () => h?.close());

  const cmd = (verb: string, payload: unknown) =>
    sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', verb, payload, 10_000);
  const data = (e: EventEnvelope | undefined) => e?.data as any;
  const count = async (type: string) => (await h.events(USER)).filter((e) => e.type === type).length;
  const waitFor = async (what: string, ok: () => Promise<boolean>, ms = 60_000) => {
    const deadline = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > deadline) {
        const seen = (await h.events(USER)).map((e) => e.type).join(', ');
        assert.fail(`timed out waiting for ${what}; seen: ${seen}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const throughProxy = () =>
    fetch(`${h.config.CONDORHUB_PUBLIC_URL}/user/${USER}/api`, {
      headers: { authorization: `token ${h.config.CONDORHUB_ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(20_000),
    });

  it('evicted and started on another node: same spawn, new port accepted, route moved, old target dropped', async () => {
    const started = await cmd('start', { user: USER, serverName: '', by: USER });
    assert.equal(started.accepted, true, JSON.stringify(started));
    await waitFor('ready', async () => (await count('ServerReady')) === 1);
    const before = await h.events(USER);
    const firstHost = data(before.find((e) => e.type === 'JobRunning')).host as string;
    const firstTarget = data(before.find((e) => e.type === 'RouteRequested')).target as string;
    assert.equal((await throughProxy()).status, 200);

    // The node goes away for this job; HTCondor evicts it, and it is matched again elsewhere.
    h.sim.fault('never-schedule', { owner: USER, host: firstHost });
    h.sim.fault('evict', { owner: USER, count: 1 });
    await waitFor('ready again', async () => (await count('ServerReady')) === 2);

    const events = await h.events(USER);
    const types: string[] = events.map((e) => e.type);
    assert.ok(!types.includes('SpawnFailed') && !types.includes('StopRequested'), types.join(','));
    assert.equal(new Set(events.map((e) => data(e).spawnId)).size, 1, 'one spawn throughout');
    const after = types.slice(types.indexOf('ServerReady') + 1);
    let at = -1;
    for (const t of ['JobIdle', 'JobRunning', 'PortReported', 'NotebookResponded', 'RouteRequested', 'RouteAdded']) {
      const next = after.indexOf(t, at + 1);
      assert.ok(next > at, `${t} after the eviction, in order: ${after.join(',')}`);
      at = next;
    }
    const moved = data(events.filter((e) => e.type === 'RouteRequested').at(-1));
    const newHost = data(events.filter((e) => e.type === 'JobRunning').at(-1)).host as string;
    assert.notEqual(newHost, firstHost);
    assert.equal(new URL(moved.target).hostname, newHost);
    assert.notEqual(moved.target, firstTarget);
    assert.equal(moved.routeSpec, `/user/${USER}/`);

    // The routes projection and the proxy: the route is at the new target only.
    await waitFor('the projection', async () => {
      const { rows } = await h.db.pool.query('SELECT target, state FROM routes WHERE owner = $1', [USER]);
      return rows.length === 1 && rows[0].target === moved.target;
    });
    const res = await throughProxy();
    assert.equal(res.status, 200);
    // The servers projection follows on its own; it may lag the routes projection by a moment.
    await waitFor('the server ready in the projection', async () => {
      const servers = await h.db.pool.query('SELECT phase FROM servers WHERE user_name = $1', [USER]);
      return servers.rows[0]?.phase === 'ready';
    });

    // The report of the new port again (the launcher retrying) changes nothing more.
    assert.equal(await count('PortReported'), 2);

    assert.equal((await cmd('stop', { user: USER, serverName: '', by: USER })).accepted, true);
    await h.waitForEvent(USER, '', 'ServerStopped', 30_000);
  });
});
