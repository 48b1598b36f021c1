import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EventEnvelope } from '@condorhub/contracts';
import { sendCommand } from '@condorhub/messaging';
import { ensureUser } from '../../../../tools/condor-sim/harness';
import { bootAll } from '../../../all-in-one/src/boot-all';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { lifecycleSettings } from '@condorhub/server-lifecycle';
import { freePort } from '@condorhub/testing';
import { explainSpawn, spawnEvents } from '../../../cli/src/explain/explain-spawn';
import { CullIdleServers, cullerLockKey } from './cull-idle-servers';

const IDLE = 'chcullidle';
const BUSY = 'chcullbusy';
const MAX_AGE_S = 30;

// The whole stack on condor-sim with the stand-in notebook: a short idle limit and a maximum
// age. The idle server is culled; the busy one (activity posted to the hub API as its notebook
// would) outlives the idle limit and is culled only at the maximum age.
describe('the idle culler stops idle and too old servers, recording why', () => {
  let h: TestCondorhub;
  let pinging: NodeJS.Timeout | undefined;
  let metricsPort = 0;
  before(async () => {
    ensureUser(IDLE);
    ensureUser(BUSY);
    metricsPort = await freePort();
    h = await createTestCondorhub({
      label: 'culler',
      env: {
        CONDORHUB_PENDING_POLL_S: '0.3',
        CONDORHUB_CULL_IDLE_S: '2',
        CONDORHUB_CULL_MAX_AGE_S: String(MAX_AGE_S),
        CONDORHUB_CULL_EVERY_S: '0.5',
        CONDORHUB_SPAWNER_METRICS_PORT: String(metricsPort),
      },
      boot: (config) => bootAll(config),
    });
  });
  after(async () => {
    clearInterval(pinging);
    await h?.close();
  });

  const start = (user: string) =>
    sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', 'start', { user, serverName: '', by: user });
  const postActivity = () =>
    fetch(`http://127.0.0.1:${h.config.CONDORHUB_HUB_PORT}/hub/api/users/${BUSY}/activity`, {
      method: 'POST',
      headers: { authorization: `token ${h.config.CONDORHUB_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ servers: { '': { last_activity: new Date().toISOString() } } }),
      signal: AbortSignal.timeout(5_000),
    }).then((r) => assert.equal(r.status, 200, `activity POST: ${r.status}`));
  const find = (events: EventEnvelope[], type: string) => events.find((e) => e.type === type);
  /** condorhub_servers_culled_total{reason} as the spawner's /metrics says (0 when absent). */
  const culledMetric = async (reason: string) => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const m = new RegExp(`^condorhub_servers_culled_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(await res.text());
    return m ? Number(m[1]) : 0;
  };

  it('culls the idle server, keeps the busy one until its maximum age; the events tell the story', async () => {
    assert.equal((await start(IDLE)).accepted, true);
    assert.equal((await start(BUSY)).accepted, true);
    await h.waitForEvent(BUSY, '', 'ServerReady', 90_000);
    await postActivity();
    pinging = setInterval(() => void postActivity().catch(() => undefined), 400);

    await h.waitForEvent(IDLE, '', 'ServerStopped', 60_000);
    const idle = await h.events(IDLE);
    const types = idle.map((e) => e.type as string);
    const at = (t: string) => types.indexOf(t);
    assert.ok(at('SpawnRequested') === 0 && at('ServerReady') > 0, types.join(','));
    // One decision: the reason, then the stop it caused, on consecutive versions.
    assert.equal(at('StopRequested'), at('ServerCulled') + 1, types.join(','));
    assert.ok(at('ServerReady') < at('ServerCulled') && at('StopRequested') < at('ServerStopped'), types.join(','));
    assert.equal(types.filter((t) => t === 'ServerCulled').length, 1, 'culled once');
    const culled = find(idle, 'ServerCulled')!.data as any;
    assert.equal(culled.reason, 'idle');
    assert.ok(culled.idleS >= 2, JSON.stringify(culled));
    assert.equal((find(idle, 'StopRequested')!.data as any).by, 'culler');
    assert.equal(find(idle, 'StopRequested')!.metadata.actor, 'culler');
    assert.match(
      explainSpawn(spawnEvents(idle)),
      /ServerCulled .*Stopped by the idle culler after \d+ s without activity/,
    );
    assert.ok((await culledMetric('idle')) >= 1, 'the spawner counts the idle cull');

    // The busy server, ready longer than the idle limit, was kept while its notebook reported.
    await h.waitForEvent(BUSY, '', 'ServerStopped', (MAX_AGE_S + 60) * 1000);
    clearInterval(pinging);
    const busy = await h.events(BUSY);
    const reason = find(busy, 'ServerCulled')!;
    assert.equal((reason.data as any).reason, 'max-age', JSON.stringify(reason.data));
    assert.ok((reason.data as any).ageS >= MAX_AGE_S);
    const readyFor = (Date.parse(reason.recordedAt) - Date.parse(find(busy, 'ServerReady')!.recordedAt)) / 1000;
    assert.ok(readyFor > 4, `ready ${readyFor} s before the maximum age: not enough to tell it from idleness`);
    assert.match(explainSpawn(spawnEvents(busy)), /past the site's maximum age/);
    assert.ok((await culledMetric('max-age')) >= 1, 'the spawner counts the max-age cull');
  });

  it('one culler passes at a time: another replica skips its pass while one holds the lock', async () => {
    const key = cullerLockKey(h.config.CONDORHUB_DATABASE_SCHEMA);
    const replica = new CullIdleServers(
      { pool: h.db.pool, lifecycle: lifecycleSettings(h.config) },
      { idleS: 2, maxAgeS: MAX_AGE_S },
      key,
    );
    const holder = await h.db.pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
      assert.equal(await replica.pass(), 'not-leader');
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    // Free again (the spawner's own culler may hold it for a moment): both servers are
    // stopped, so a pass culls nothing (a read model behind still lists them: decided stopped).
    let outcome: Awaited<ReturnType<CullIdleServers['pass']>> = 'not-leader';
    for (let i = 0; i < 50 && outcome === 'not-leader'; i++) {
      outcome = await replica.pass();
      if (outcome === 'not-leader') await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(Array.isArray(outcome), 'the lock is free again');
    assert.deepEqual(
      outcome.filter((o) => o.culled),
      [],
    );
  });
});
