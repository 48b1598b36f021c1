import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NatsConnection } from '@nats-io/transport-node';
import { sendCommand } from '@condorhub/messaging';
import { NATS } from '@condorhub/runtime';
import { freePort } from '@condorhub/testing';
import { ensureUser } from '../../../tools/condor-sim/harness';
import { bootAll } from './boot-all';
import { type TestCondorhub, createTestCondorhub } from './testing/test-condorhub';

// Every service booted, each scraped on its own port: the hub, port registry and proxy on
// theirs, the spawner, poller and projector on their metrics listeners. A spawn on condor-sim
// (the stand-in notebook) moves the spawn, phase, condor and relay metrics.
const USER = 'chmetrics';
const REJECTED = 'chmetricsrej';

/** One sample's value from Prometheus text (undefined when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('/metrics, /health and /ready on every service', () => {
  let h: TestCondorhub;
  const ports: Record<string, number> = {};
  before(async () => {
    ensureUser(USER);
    ensureUser(REJECTED);
    const [spawner, poller, projector] = [await freePort(), await freePort(), await freePort()];
    h = await createTestCondorhub({
      label: 'metrics',
      env: {
        CONDORHUB_PENDING_POLL_S: '0.3',
        CONDORHUB_SPAWNER_METRICS_PORT: String(spawner),
        CONDORHUB_POLLER_METRICS_PORT: String(poller),
        CONDORHUB_PROJECTOR_METRICS_PORT: String(projector),
      },
      boot: (config) => bootAll(config),
    });
    Object.assign(ports, {
      hub: h.config.CONDORHUB_HUB_PORT,
      'port-registry': h.config.CONDORHUB_PORT_REGISTRY_PORT,
      proxy: h.config.CONDORHUB_PROXY_PORT,
      spawner,
      'condor-poller': poller,
      projector,
    });
  });
  after(async () => h?.close());

  const get = async (service: string, path: string) => {
    const res = await fetch(`http://127.0.0.1:${ports[service]}${path}`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };

  it('each answers /health and /ready (naming each check) and /metrics in the text format', async () => {
    for (const service of Object.keys(ports)) {
      const health = await get(service, '/health');
      assert.equal(health.status, 200, `${service} /health`);
      assert.equal(JSON.parse(health.body).status, 'ok');
      const ready = await get(service, '/ready');
      assert.equal(ready.status, 200, `${service} /ready: ${ready.body}`);
      const checks = JSON.parse(ready.body).checks;
      for (const name of [
        'spawner: store',
        'spawner: nats',
        'projector: store',
        'consumer spawner',
        'hub: nats',
        'projector: relay',
      ])
        assert.equal(checks[name]?.ok, true, `${service} /ready has ${name}: ${ready.body}`);
      const metrics = await get(service, '/metrics');
      assert.equal(metrics.status, 200);
      assert.match(metrics.type, /^text\/plain/);
      // One process: every service's metrics on every port, the proxy's too.
      assert.equal(sample(metrics.body, 'condorhub_ready'), 1, `${service} condorhub_ready`);
      assert.equal(sample(metrics.body, 'condorhub_timers_due'), 0, `${service} timers due`);
      assert.equal(sample(metrics.body, 'condorhub_nodes_quarantined'), 0);
      assert.ok(sample(metrics.body, 'condorhub_proxy_routes')! >= 1, `${service} shows the proxy's routes`);
      assert.match(metrics.body, /^# TYPE condorhub_spawns_total counter$/m);
    }
  });

  it('a spawn moves the spawn, phase, condor call and relay metrics', async () => {
    const before = (await get('spawner', '/metrics')).body;
    assert.equal(sample(before, 'condorhub_spawns_total', { outcome: 'ready' }) ?? 0, 0);
    const submits = sample(before, 'condorhub_condor_command_duration_seconds_count', {
      command: 'condor_submit',
      outcome: 'ok',
    });
    const reply = await sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', 'start', {
      user: USER,
      serverName: '',
      by: USER,
    });
    assert.equal(reply.accepted, true, JSON.stringify(reply));
    await h.waitForEvent(USER, '', 'ServerReady', 90_000);

    // The spawner counts ServerReady when the event reaches it over JetStream.
    let after = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      after = (await get('projector', '/metrics')).body;
      if (sample(after, 'condorhub_spawns_total', { outcome: 'ready' })) break;
    }
    assert.equal(sample(after, 'condorhub_spawns_total', { outcome: 'ready', stage: '', diagnosis: '' }), 1);
    for (const milestone of ['submitted', 'running', 'port-reported', 'notebook-responded', 'ready'])
      assert.equal(sample(after, 'condorhub_spawn_phase_seconds_count', { milestone }), 1, milestone);
    assert.equal(
      sample(after, 'condorhub_condor_command_duration_seconds_count', { command: 'condor_submit', outcome: 'ok' }),
      (submits ?? 0) + 1,
    );
    assert.ok(
      sample(after, 'condorhub_condor_command_duration_seconds_count', { command: 'condor_q', outcome: 'ok' })! > 0,
    );
    assert.ok(sample(after, 'condorhub_relay_lag_seconds_count')! > 0);
    assert.ok(sample(after, 'condorhub_projector_events_behind', { processor: 'relay' })! >= 0);
    assert.ok(sample(after, 'condorhub_spawns_pending')! >= 0);
  });

  it('a failed spawn is counted with its stage and diagnosis, and timed to the failure', async () => {
    h.sim.fault('reject', { owner: REJECTED, reason: 'Policy: notebooks need a project' });
    const reply = await sendCommand(h.nats.nc, h.config.CONDORHUB_NATS_PREFIX, 'spawner', 'start', {
      user: REJECTED,
      serverName: '',
      by: REJECTED,
    });
    assert.equal(reply.accepted, true, JSON.stringify(reply));
    const failed = (await h.waitForEvent(REJECTED, '', 'SpawnFailed', 60_000)).data as any;
    const labels = { outcome: 'failed', stage: failed.stage, diagnosis: failed.diagnosis };
    let text = '';
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      text = (await get('spawner', '/metrics')).body;
      if (sample(text, 'condorhub_spawns_total', labels)) break;
    }
    assert.equal(sample(text, 'condorhub_spawns_total', labels), 1, JSON.stringify(labels));
    assert.equal(sample(text, 'condorhub_spawns_total', { outcome: 'ready' }), 1, 'the ready one as before');
    assert.equal(sample(text, 'condorhub_spawn_phase_seconds_count', { milestone: 'failed' }), 1);
  });

  it('/ready answers 503 naming the failed check when a service loses NATS', async () => {
    const poller = h.apps[2];
    await poller.get<NatsConnection>(NATS).close();
    const ready = await get('condor-poller', '/ready');
    assert.equal(ready.status, 503, ready.body);
    const body = JSON.parse(ready.body);
    assert.equal(body.status, 'not ready');
    assert.equal(body.checks['condor-poller: nats'].ok, false);
    assert.match(body.checks['condor-poller: nats'].detail, /closed/);
    assert.equal(body.checks['spawner: nats'].ok, true);
    assert.equal(sample((await get('hub', '/metrics')).body, 'condorhub_ready'), 0);
    assert.equal(
      sample((await get('hub', '/metrics')).body, 'condorhub_ready_check', { check: 'condor-poller: nats' }),
      0,
    );
  });
});
