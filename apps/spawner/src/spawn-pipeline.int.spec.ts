import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../all-in-one/src/testing/test-condorhub';
import { bootPipeline } from '../../all-in-one/src/testing/boot-pipeline';

const USER = 'chpipe';

describe('spawn pipeline on condor-sim: spawner, condor-poller, port-registry, projector', () => {
  let h: TestCondorhub;
  before(async () => {
    ensureUser(USER);
    h = await createTestCondorhub({
      label: 'pipeline',
      env: { CONDORHUB_PENDING_POLL_S: '0.3' },
      boot: (config) => bootPipeline(config),
    });
  });
  after(async () => h?.close());

  const cmd = (verb: string, payload: unknown) =>
    sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', verb, payload, 10_000);

  it('starts a job that reports its port and answers, then stops it; the events tell the story in order', async () => {
    const reply = await cmd('start', { user: USER, serverName: '', by: USER });
    assert.equal(reply.accepted, true, JSON.stringify(reply));
    const again = await cmd('start', { user: USER, serverName: '', by: USER });
    assert.deepEqual(again, { accepted: false, code: 'already-active', reason: 'server is already pending' });

    const route = await h.waitForEvent(USER, '', 'RouteRequested', 60_000);
    assert.match((route.data as any).target, /^http:\/\/127\.0\.0\.\d+:\d+$/);
    const types: string[] = (await h.events(USER)).map((e) => e.type);
    for (const t of [
      'SpawnRequested',
      'JobSubmitted',
      'JobRunning',
      'PortReported',
      'NotebookResponded',
      'RouteRequested',
    ]) {
      assert.ok(types.includes(t), `${t} in ${types.join(',')}`);
    }
    const running = (await h.events(USER)).find((e) => e.type === 'JobRunning')!;
    const jobId = (running.data as any).jobId;

    const stop = await cmd('stop', { user: USER, serverName: '', by: USER, reason: 'test' });
    assert.equal(stop.accepted, true);
    await h.waitForEvent(USER, '', 'ServerStopped', 30_000);
    const all = (await h.events(USER)).map((e) => e.type);
    // The poller may still record the job leaving (JobRemoved) after the entry ended.
    assert.deepEqual(
      all.slice(all.indexOf('StopRequested')).filter((t) => t !== 'JobRemoved'),
      ['StopRequested', 'RouteRemovalRequested', 'JobRemovalRequested', 'ServerStopped'],
    );
    const q = h.sim.ctl('status');
    assert.ok(!JSON.stringify(JSON.parse(q).queue ?? []).includes(`"${jobId}"`), 'job left the queue');
    const { rows } = await h.db.pool.query('SELECT count(*)::int n FROM api_tokens WHERE revoked_at IS NULL');
    assert.equal(rows[0].n, 0, 'the spawn token is revoked');
  });
});
