import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../all-in-one/src/testing/test-condorhub';
import { bootPipeline } from '../../all-in-one/src/testing/boot-pipeline';

const users = { first: 'chbigfirst', second: 'chbigsecond', small: 'chqsmall' };

describe('queue insight on condor-sim: why a job is still idle, through the hub API', () => {
  let h: TestCondorhub;

  before(async () => {
    for (const u of Object.values(users)) ensureUser(u);
    h = await createTestCondorhub({
      label: 'queueinsight',
      // Two hosts of 4 CPUs: no slot can ever give 64.
      sim: { hosts: 2, slots: 4 },
      env: { CONDORHUB_MAX_CPUS: '64', CONDORHUB_PENDING_POLL_S: '0.3', CONDORHUB_IDLE_TIMEOUT_S: '120' },
      boot: (config) => bootPipeline(config, { hub: true }),
    });
  });
  after(async () => {
    await h?.close();
  });

  const start = async (user: string, options: Record<string, number>) => {
    const r = await sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'start',
      { user, serverName: '', options, by: user },
      10_000,
    );
    assert.equal(r.accepted, true, JSON.stringify(r));
  };
  const queue = async (user: string) => {
    const res = await fetch(
      `http://127.0.0.1:${h.config.CONDORHUB_HUB_PORT}/hub/api/condorhub/users/${user}/server/queue`,
      { headers: { authorization: `token ${h.config.CONDORHUB_ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) },
    );
    return { status: res.status, body: (await res.json()) as any };
  };
  /** Asks again until the negotiator has passed the job over (it writes LastRejMatchReason then). */
  const rejectedAnswer = async (user: string) => {
    const until = Date.now() + 30_000;
    for (;;) {
      const r = await queue(user);
      if (r.status === 200 && r.body.condorSays) return r.body;
      if (Date.now() > until) assert.fail(`no negotiator reason for ${user}: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 300));
    }
  };

  it('a spawn asking for more CPUs than any slot: the reason, the largest free slot and its place among idle jobs', async () => {
    await start(users.first, { cpus: 64 });
    await h.waitForEvent(users.first, '', 'JobIdle', 30_000);
    await start(users.second, { cpus: 48 });
    await h.waitForEvent(users.second, '', 'JobIdle', 30_000);

    const first = await rejectedAnswer(users.first);
    const second = await rejectedAnswer(users.second);
    assert.equal(first.queued, true);
    assert.equal(first.phase, 'queued');
    assert.deepEqual(first.requested.cpus, 64);
    assert.equal(first.matchingSlots, 0);
    assert.equal(first.largestFreeSlot.cpus, 4);
    assert.deepEqual(first.condorSays.reason, 'no match found');
    assert.deepEqual(first.lines, [
      'No free slot has 64 CPUs; the largest free slot has 4.',
      '1st of 2 idle jobs of this hub.',
      'HTCondor says: no match found',
    ]);
    assert.deepEqual(second.position, { place: 2, of: 2 });
    assert.equal(second.lines[0], 'No free slot has 48 CPUs; the largest free slot has 4.');
    assert.equal(second.lines[1], '2nd of 2 idle jobs of this hub.');
  });

  it('HTCondor not answering is a 503 that says so; the next ask answers again', async () => {
    const fault = h.sim.fault('q-fail');
    try {
      const r = await queue(users.first);
      assert.equal(r.status, 503);
      assert.match(r.body.message, /HTCondor did not answer/);
    } finally {
      h.sim.ctl('fault', 'clear', String(fault.id));
    }
    assert.equal((await queue(users.first)).status, 200);
  });

  it('a server that is not waiting in the queue answers queued: false without asking HTCondor', async () => {
    await start(users.small, { cpus: 1 });
    await h.waitForEvent(users.small, '', 'RouteRequested', 30_000);
    const r = await queue(users.small);
    assert.equal(r.status, 200);
    assert.equal(r.body.queued, false);
    assert.notEqual(r.body.phase, 'queued');
  });

  it('an unknown user is a 404 and a bad spawner request is refused', async () => {
    assert.equal((await queue('nobody-here')).status, 404);
    const r = await sendCommand(
      h.nats.nc,
      h.config.CONDORHUB_NATS_PREFIX,
      'spawner',
      'queueInfo',
      { jobId: '1; rm' },
      5_000,
    );
    assert.equal(r.accepted, false);
  });
});
