import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProxyServer } from '../proxy-server';
import { ActivityTracker, type ActivityRecord } from './activity-tracker';
import { closeWs, nextMessage, openWs, request, sessionCookie, type Backend } from '../testing/test-backends';
import { type TestProxy, startTestProxy } from '../testing/test-proxy';

describe('activity, metrics, health and the routes API', () => {
  let alice: Backend;
  let proxy: ProxyServer;
  const batches: ActivityRecord[][] = [];

  let t: TestProxy;

  before(async () => {
    t = await startTestProxy({
      routes: [
        { server: 'alice', spawnId: 'a1' },
        { server: 'bob', spawnId: 'b1' },
      ],
      // A flush interval far beyond the test: flushes happen only when the test asks.
      options: { adminToken: 'admin-token-xyz', activityFlushMs: 3_600_000, onActivity: (b) => void batches.push(b) },
    });
    ({ proxy } = t);
    ({ alice } = t.backends);
  });
  after(async () => t?.close());

  test('activity is batched: many requests, one record per route per flush, nothing before the flush', async () => {
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) await request(`${proxy.url}/user/alice/api`, { cookie: sessionCookie('alice') });
    await request(`${proxy.url}/user/bob/api`, { cookie: sessionCookie('bob') });
    await request(`${proxy.url}/user/bob/api`); // 403: refused requests are not activity
    assert.equal(batches.length, 0, 'no write per request');
    await proxy.activity.flush();
    assert.equal(batches.length, 1);
    const byRoute = Object.fromEntries(batches[0].map((r) => [r.routeSpec, r]));
    assert.deepEqual(Object.keys(byRoute).sort(), ['/user/alice/', '/user/bob/']);
    assert.equal(byRoute['/user/alice/'].spawnId, 'a1');
    assert.ok(byRoute['/user/alice/'].lastActivity >= t0);
    await proxy.activity.flush();
    assert.equal(batches.length, 1, 'an idle period flushes nothing');
  });

  test('websocket messages count as activity', async () => {
    const ws = await openWs(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels`, {
      cookie: sessionCookie('alice'),
    });
    try {
      await proxy.activity.flush();
      const n = batches.length;
      const reply = nextMessage(ws);
      ws.send('ping');
      await reply;
      await proxy.activity.flush();
      assert.equal(batches.length, n + 1);
      assert.deepEqual(
        batches[n].map((r) => r.routeSpec),
        ['/user/alice/'],
      );
    } finally {
      await closeWs(ws);
    }
  });

  test('a failing sink loses nothing: the batch is retried at the next flush', async () => {
    const failing: ActivityRecord[][] = [];
    let fail = true;
    const tracker = new ActivityTracker(async (b) => {
      if (fail) throw new Error('store down');
      failing.push(b);
    }, 3_600_000);
    const route = proxy.routes.get('/user/alice/')!;
    tracker.touch(route);
    await tracker.flush();
    fail = false;
    await tracker.flush();
    assert.deepEqual(
      failing.map((b) => b.map((r) => r.routeSpec)),
      [['/user/alice/']],
    );
  });

  test('/metrics is Prometheus text with requests, websockets, sockets, routes, errors and latency', async () => {
    const r = await request(`${proxy.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /text\/plain; version=0.0.4/);
    assert.match(r.body, /^condorhub_proxy_requests_total\{code="2xx"\} [1-9]\d*$/m);
    assert.match(r.body, /^condorhub_proxy_requests_total\{code="4xx"\} [1-9]\d*$/m);
    assert.match(r.body, /^condorhub_proxy_errors_total\{reason="refused-access"\} 1$/m);
    assert.match(r.body, /^condorhub_proxy_websockets_open \d+$/m);
    assert.match(r.body, /^condorhub_proxy_websocket_upgrades_total 1$/m);
    assert.match(r.body, /^condorhub_proxy_open_sockets \d+$/m);
    assert.match(r.body, /^condorhub_proxy_routes 5$/m, '3 static + 2 user routes');
    assert.match(r.body, /^# TYPE condorhub_proxy_request_duration_seconds histogram$/m);
    assert.match(r.body, /^condorhub_proxy_request_duration_seconds_bucket\{le="\+Inf"\} \d+$/m);
    const buckets = [...r.body.matchAll(/_bucket\{le="[^"]+"\} (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(
      buckets,
      [...buckets].sort((a, b) => a - b),
      'buckets are cumulative',
    );
  });

  test('/_condorhub/health reports routes and uptime', async () => {
    const r = await request(`${proxy.url}/_condorhub/health`);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body);
    assert.equal(body.status, 'ok');
    assert.equal(body.routes, 5);
    assert.equal(typeof body.uptimeSeconds, 'number');
  });

  test('GET /api/routes is CHP-compatible, read-only and needs the admin token', async () => {
    assert.equal((await request(`${proxy.url}/api/routes`)).status, 403);
    assert.equal((await request(`${proxy.url}/api/routes`, { authorization: 'token wrong' })).status, 403);
    const auth = { authorization: 'token admin-token-xyz' };
    const r = await request(`${proxy.url}/api/routes`, auth);
    assert.equal(r.status, 200);
    const routes = JSON.parse(r.body);
    assert.equal(routes['/user/alice'].target, alice.url);
    assert.equal(routes['/user/alice'].user, 'alice');
    assert.equal(routes['/user/alice'].jupyterhub, true);
    assert.ok(!Number.isNaN(Date.parse(routes['/user/alice'].last_activity)));
    assert.equal(routes['/hub'].hub, true);
    const single = await request(`${proxy.url}/api/routes/user/bob`, auth);
    assert.equal(JSON.parse(single.body).spawn_id, 'b1');
    assert.equal((await request(`${proxy.url}/api/routes/user/nobody`, auth)).status, 404);
    const future = new Date(Date.now() + 60_000).toISOString();
    const inactive = JSON.parse((await request(`${proxy.url}/api/routes?inactive_since=${future}`, auth)).body);
    assert.ok(inactive['/user/alice']);
    const past = JSON.parse((await request(`${proxy.url}/api/routes?inactive_since=2000-01-01T00:00:00Z`, auth)).body);
    assert.equal(past['/user/alice'], undefined);
    assert.equal((await request(`${proxy.url}/api/routes?inactive_since=yesterday`, auth)).status, 400);
    assert.equal((await request(`${proxy.url}/api/routes/user/x`, auth, 'POST')).status, 405);
  });
});
