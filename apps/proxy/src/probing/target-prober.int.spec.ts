import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RouteTable, type Route } from '../routing/route-table';
import { probeTarget, TargetProber, type ProbeFailure } from './target-prober';
import { deadPort } from '../testing/test-backends';

/** A stand-in Jupyter that serves /user/<name>/api for one owner, as jupyterhub-singleuser does. */
function jupyterFor(owner: string, mode: 'ok' | 'error' | 'redirect-other' | 'hang' = 'ok'): http.Server {
  return http.createServer((req, res) => {
    if (mode === 'hang') return;
    if (mode === 'error') return void res.writeHead(500).end();
    if (mode === 'redirect-other') return void res.writeHead(302, { location: '/user/bob/api' }).end();
    if (req.url === `/user/${owner}/api`)
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"2.14.0"}');
    res.writeHead(404).end();
  });
}

describe('target probing', () => {
  const servers: http.Server[] = [];
  const table = new RouteTable();
  const routeFor = async (owner: string, server: http.Server, spawnId = owner): Promise<Route> => {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const out = table.set({
      routeSpec: `/user/${owner}/`,
      target: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      spawnId,
      owner,
      serverName: '',
    });
    assert.ok(out.applied);
    return out.route;
  };
  let alice: Route, wrong: Route, broken: Route, redirecting: Route, hanging: Route, dead: Route;

  before(async () => {
    alice = await routeFor('alice', jupyterFor('alice'));
    wrong = await routeFor('carol', jupyterFor('bob')); // carol's route points at bob's notebook
    broken = await routeFor('dave', jupyterFor('dave', 'error'));
    redirecting = await routeFor('erin', jupyterFor('erin', 'redirect-other'));
    hanging = await routeFor('frank', jupyterFor('frank', 'hang'));
    const port = await deadPort();
    table.set({
      routeSpec: '/user/gina/',
      target: `http://127.0.0.1:${port}`,
      spawnId: 'g',
      owner: 'gina',
      serverName: '',
    });
    dead = table.get('/user/gina/')!;
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  test('probeTarget classifies healthy, wrong owner, server errors, dead and hanging targets', async () => {
    assert.deepEqual(await probeTarget(alice), { healthy: true, status: 200 });
    assert.equal(((await probeTarget(wrong)) as { reason: ProbeFailure }).reason, 'wrong-owner');
    assert.equal(((await probeTarget(redirecting)) as { reason: ProbeFailure }).reason, 'wrong-owner');
    assert.equal(((await probeTarget(broken)) as { reason: ProbeFailure }).reason, 'server-error');
    assert.equal(((await probeTarget(dead)) as { reason: ProbeFailure }).reason, 'unreachable');
    assert.equal(((await probeTarget(hanging, { timeoutMs: 100 })) as { reason: ProbeFailure }).reason, 'timeout');
  });

  test('the prober reports wrong owners at once and other failures after N consecutive rounds', async () => {
    const reports: [string, ProbeFailure][] = [];
    const prober = new TargetProber({
      routes: () => table.all(),
      onUnhealthy: (route, reason) => void reports.push([route.owner, reason]),
      timeoutMs: 100,
      failuresBeforeUnhealthy: 2,
      intervalMs: 3_600_000,
    });
    await prober.runOnce();
    assert.deepEqual(reports.sort(), [
      ['carol', 'wrong-owner'],
      ['erin', 'wrong-owner'],
    ]);
    reports.length = 0;
    await prober.runOnce();
    assert.deepEqual(reports.map((r) => r[0]).sort(), ['carol', 'dave', 'erin', 'frank', 'gina']);
    assert.ok(!reports.some(([owner]) => owner === 'alice'));
    assert.equal(table.size, 6, 'the prober never removes routes itself');
    await prober.stop();
  });
});
