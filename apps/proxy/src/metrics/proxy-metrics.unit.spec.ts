import { it } from 'node:test';
import assert from 'node:assert/strict';
import { ProxyMetrics, mergeSnapshots } from './proxy-metrics';

it('merges workers: counts and sockets add up, the route table (the same in each) does not', () => {
  const a = new ProxyMetrics({ routes: () => 7, activityPending: () => 1 });
  const b = new ProxyMetrics({ routes: () => 7, activityPending: () => 2 });
  a.recordResponse(200, 0.002);
  a.recordResponse(503, 0.2);
  a.recordError('target-refused');
  b.recordResponse(200, 0.002);
  b.recordError('target-refused');
  b.recordError('no-route');
  b.websocketsOpen = 3;
  const merged = mergeSnapshots([a.snapshot(), b.snapshot()]);
  assert.deepEqual(merged.requests, [0, 2, 0, 0, 1]);
  assert.deepEqual(merged.errors, { 'target-refused': 2, 'no-route': 1 });
  assert.equal(merged.latencyCount, 3);
  assert.equal(merged.routes, 7);
  assert.equal(merged.websocketsOpen, 3);
  assert.equal(merged.activityPending, 3);
  const text = a.render(merged);
  assert.match(text, /^condorhub_proxy_requests_total\{code="2xx"\} 2$/m);
  assert.match(text, /^condorhub_proxy_request_duration_seconds_count 3$/m);
  assert.match(text, /^condorhub_proxy_routes 7$/m);
  assert.match(a.render(), /^condorhub_proxy_requests_total\{code="2xx"\} 1$/m, 'without a snapshot: its own');
});
