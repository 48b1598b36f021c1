import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INestApplicationContext } from '@nestjs/common';
import { type Config, loadConfig } from '@condorhub/config';
import { type NewEvent, announceSubject, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { readModelMigrations } from '@condorhub/read-models';
import {
  type TestDatabase,
  type TestNats,
  createTestDatabase,
  createTestNats,
  freePort,
  serviceEnv,
} from '@condorhub/testing';
import { bootstrapProjector } from '../../../projector/src/bootstrap';
import { bootstrapProxy } from '../bootstrap';
import { signSession } from '@condorhub/session-cookie';
import { ProxyAppService } from '../proxy-app.service';

const SECRET = 'route-sync-test-secret-0123456789abcdef';

/** A stand-in notebook on a worker address: answers with its owner's name. */
async function notebook(
  owner: string,
  host: string,
  port = 0,
): Promise<{ port: number; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ owner, path: req.url }));
  });
  await new Promise<void>((r) => server.listen(port, host, r));
  return {
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('proxy follows route events (real PostgreSQL + NATS, two replicas)', () => {
  let t: TestDatabase;
  let n: TestNats;
  let config: Config;
  const apps: INestApplicationContext[] = [];
  const ports: number[] = [];

  const bootReplica = async () => {
    const port = await freePort();
    const app = await bootstrapProxy({ ...config, CONDORHUB_PROXY_PORT: port });
    apps.push(app);
    ports.push(port);
    return { app, port, service: app.get(ProxyAppService) };
  };
  const cookie = (user: string) =>
    `condorhub-session=${signSession(SECRET, { user, admin: false, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
  const get = async (port: number, path: string, user: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      headers: { cookie: cookie(user), accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: await res.text() };
  };
  const spawnToRoute = (user: string, spawnId: string, target: string): NewEvent[] => [
    newEvent('SpawnRequested', { spawnId, user, serverName: '', options: {}, requestedBy: user }),
    newEvent('RouteRequested', { spawnId, routeSpec: `/user/${user}/`, target, owner: user }),
  ];
  const waitFor = async <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  before(async () => {
    t = await createTestDatabase('route_sync', readModelMigrations);
    n = await createTestNats('route_sync');
    config = loadConfig({
      ...serviceEnv(t, n),
      CONDORHUB_COOKIE_SECRET: SECRET,
      CONDORHUB_HUB_PORT: String(await freePort()),
      CONDORHUB_LOG_LEVEL: 'error',
    });
    apps.push(await bootstrapProjector(config));
  });
  after(async () => {
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    await n?.drop();
    await t?.drop();
  });

  it('a RouteRequested event goes live on both replicas; RouteAdded is recorded once', async () => {
    const a = await bootReplica();
    const b = await bootReplica();
    const nb = await notebook('alice', '127.0.0.2');
    const spawnId = randomUUID();
    const t0 = Date.now();
    await appendToStream(
      t.pool,
      serverStreamId('alice', ''),
      spawnToRoute('alice', spawnId, `http://127.0.0.2:${nb.port}`),
    );
    for (const r of [a, b]) {
      await waitFor('route live', async () => (await get(r.port, '/user/alice/api', 'alice')).status === 200);
    }
    console.log(`# route live on both replicas ${Date.now() - t0} ms after the append (relay → NATS → proxy)`);
    assert.deepEqual(JSON.parse((await get(a.port, '/user/alice/api', 'alice')).body).owner, 'alice');
    assert.deepEqual((await get(b.port, '/user/alice/api', 'alice')).status, 200);
    await waitFor('RouteAdded', async () =>
      (await readStream(t.pool, serverStreamId('alice', ''))).some((e) => e.type === 'RouteAdded'),
    );
    await new Promise((r) => setTimeout(r, 300));
    const added = (await readStream(t.pool, serverStreamId('alice', ''))).filter((e) => e.type === 'RouteAdded');
    assert.equal(added.length, 1, 'two replicas, one RouteAdded');
    await nb.close();
  });

  it('a spawn waiting for its route is recorded ready with the RouteAdded, once across two replicas', async () => {
    const a = await bootReplica();
    const b = await bootReplica();
    const nb = await notebook('hana', '127.0.0.2');
    const spawnId = randomUUID();
    const target = `http://127.0.0.2:${nb.port}`;
    const stream = serverStreamId('hana', '');
    const [requested, routeRequested] = spawnToRoute('hana', spawnId, target);
    await appendToStream(t.pool, stream, [
      requested,
      newEvent('JobSubmitted', { spawnId, jobId: '7.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '7.0', host: '127.0.0.2', slot: 'slot1@127.0.0.2' }),
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: nb.port }),
      newEvent('NotebookResponded', { spawnId, url: `${target}/user/hana/api`, version: 'x', status: 200 }),
      routeRequested,
    ]);
    await waitFor('ServerReady', async () => (await readStream(t.pool, stream)).some((e) => e.type === 'ServerReady'));
    await new Promise((r) => setTimeout(r, 300));
    const tail = (await readStream(t.pool, stream)).slice(6);
    assert.deepEqual(
      tail.map((e) => e.type),
      ['RouteAdded', 'ServerReady'],
    );
    assert.equal(tail[0].transactionId, tail[1].transactionId, 'one append');
    assert.equal((tail[1].data as any).spawnId, spawnId);
    for (const r of [a, b]) assert.equal((await get(r.port, '/user/hana/api', 'hana')).status, 200);
    await nb.close();
  });

  it('a reused slot evicts the old route: alice can never reach bob’s notebook', async () => {
    const [a] = [{ port: ports[0] }];
    const first = await notebook('carol', '127.0.0.3');
    const target = `http://127.0.0.3:${first.port}`;
    await appendToStream(t.pool, serverStreamId('carol', ''), spawnToRoute('carol', randomUUID(), target));
    await waitFor('carol live', async () => (await get(a.port, '/user/carol/api', 'carol')).status === 200);
    // The job is killed; the slot, host and port go to dave's new job.
    await first.close();
    const second = await notebook('dave', '127.0.0.3', first.port);
    await appendToStream(t.pool, serverStreamId('dave', ''), spawnToRoute('dave', randomUUID(), target));
    await waitFor('dave live', async () => (await get(a.port, '/user/dave/api', 'dave')).status === 200);
    const carol = await get(a.port, '/user/carol/api', 'carol');
    assert.notEqual(carol.status, 200);
    assert.ok(!carol.body.includes('"owner":"dave"'), carol.body);
    const evicted = await waitFor('RouteRemoved', async () =>
      (await readStream(t.pool, serverStreamId('carol', ''))).find((e) => e.type === 'RouteRemoved'),
    );
    assert.equal((evicted.data as any).reason, 'target-reused');
    await second.close();
  });

  it('a late delivery of an older spawn’s RouteRequested is ignored', async () => {
    const port = ports[0];
    const older = await notebook('erin-old', '127.0.0.4');
    const newer = await notebook('erin', '127.0.0.5');
    const oldSpawn = randomUUID();
    const stream = serverStreamId('erin', '');
    await appendToStream(t.pool, stream, spawnToRoute('erin', oldSpawn, `http://127.0.0.4:${older.port}`));
    await waitFor('old live', async () => (await get(port, '/user/erin/api', 'erin')).body.includes('erin-old'));
    await appendToStream(t.pool, stream, [
      newEvent('ServerStopped', { spawnId: oldSpawn, reason: 'stopped' }),
      ...spawnToRoute('erin', randomUUID(), `http://127.0.0.5:${newer.port}`),
    ]);
    await waitFor('new live', async () => (await get(port, '/user/erin/api', 'erin')).body.includes('"owner":"erin"'));
    // JetStream redelivers the old event (or a slow replica sees it late).
    const oldEvent = (await readStream(t.pool, stream)).find((e) => e.type === 'RouteRequested')!;
    n.nc.publish(`${n.prefix}.events.server.RouteRequested`, JSON.stringify(oldEvent));
    await new Promise((r) => setTimeout(r, 300));
    assert.match((await get(port, '/user/erin/api', 'erin')).body, /"owner":"erin"/);
    await older.close();
    await newer.close();
  });

  it('the proxy service starts its server on bootstrap and stops it on shutdown', async () => {
    const { app, port } = await bootReplica();
    apps.splice(apps.indexOf(app), 1);
    ports.splice(ports.indexOf(port), 1);
    // Any answer will do (no hub is listening): the server is up once the app has booted.
    assert.equal(typeof (await get(port, '/hub/home', 'alice')).status, 'number');
    await app.close();
    await assert.rejects(
      fetch(`http://127.0.0.1:${port}/hub/home`, { signal: AbortSignal.timeout(5_000) }),
      (e: any) => e?.cause?.code === 'ECONNREFUSED',
    );
  });

  it('a restarted proxy rebuilds its table from the projection and drops dead targets', async () => {
    const live = await notebook('frank', '127.0.0.6');
    await appendToStream(
      t.pool,
      serverStreamId('frank', ''),
      spawnToRoute('frank', randomUUID(), `http://127.0.0.6:${live.port}`),
    );
    await appendToStream(t.pool, serverStreamId('gina', ''), spawnToRoute('gina', randomUUID(), 'http://127.0.0.7:9'));
    try {
      await waitFor('frank live', async () => (await get(ports[0], '/user/frank/api', 'frank')).status === 200);
      // A restart reads the routes projection: both routes must be in it first (the live
      // replica above learned frank's from the event, which says nothing about the projector).
      await waitFor('both routes projected', async () => {
        const { rows } = await t.pool.query(`SELECT 1 FROM routes WHERE route_spec IN ('/user/frank/', '/user/gina/')`);
        return rows.length === 2;
      });
      for (const app of apps.splice(1)) await app.close();
      const fresh = await bootReplica();
      assert.equal((await get(fresh.port, '/user/frank/api', 'frank')).status, 200, 'rebuilt from routes');
      assert.ok(fresh.service.server.routes.get('/user/gina/'));
      // Probe rounds: the dead target fails repeatedly and its route goes, with a RouteRemoved.
      for (let i = 0; i < 3; i++) await fresh.service.server.prober!.runOnce();
      assert.equal(fresh.service.server.routes.get('/user/gina/'), undefined);
      const removed = (await readStream(t.pool, serverStreamId('gina', ''))).find((e) => e.type === 'RouteRemoved');
      assert.match((removed?.data as any)?.reason ?? '', /^target-(unreachable|timeout)/);
      assert.ok(fresh.service.server.routes.get('/user/frank/'), 'live routes stay');
    } finally {
      // A failure must not leave a listening server keeping the test process alive.
      await live.close();
    }
  });

  it('a RouteRequested announced by its writer goes live on every replica and is confirmed by one, without the relay', async () => {
    // Last in this file: the projector (and its relay) stops, so only the announcement can tell.
    await apps.splice(0, 1)[0].close();
    const r = await bootReplica();
    const other = await bootReplica();
    const nb = await notebook('ivan', '127.0.0.8');
    // Every replica booted in this file is still following the same subjects.
    const replicas = apps.map((app) => app.get(ProxyAppService));
    const confirmations = () => replicas.reduce((sum, p) => sum + p.sync.confirmations, 0);
    try {
      const stream = serverStreamId('ivan', '');
      await appendToStream(t.pool, stream, spawnToRoute('ivan', randomUUID(), `http://127.0.0.8:${nb.port}`));
      const stored = (await readStream(t.pool, stream)).find((e) => e.type === 'RouteRequested')!;
      const before = confirmations();
      n.nc.publish(announceSubject(n.prefix, stream, stored.type), JSON.stringify(stored));
      for (const x of [r, other])
        await waitFor('route live', async () => (await get(x.port, '/user/ivan/api', 'ivan')).status === 200);
      await waitFor('RouteAdded', async () => (await readStream(t.pool, stream)).some((e) => e.type === 'RouteAdded'));
      await new Promise((res) => setTimeout(res, 300));
      assert.equal(confirmations() - before, 1, `${replicas.length} replicas set the route, one confirms it`);
    } finally {
      await nb.close();
    }
  });

  // Below, the projector of this file is closed (the test above): the projection stands still.

  it('forged route events on NATS change nothing; the stored one still goes live', async () => {
    const r = await bootReplica();
    const kate = await notebook('kate', '127.0.0.10');
    const mallory = await notebook('mallory', '127.0.0.11');
    const malloryTarget = `http://127.0.0.11:${mallory.port}`;
    try {
      const stream = serverStreamId('kate', '');
      const spawnId = randomUUID();
      await appendToStream(t.pool, stream, spawnToRoute('kate', spawnId, `http://127.0.0.10:${kate.port}`));
      const stored = (await readStream(t.pool, stream)).find((e) => e.type === 'RouteRequested')!;
      const newer = String(BigInt(stored.globalPosition) + 1000n);
      const forgeries = [
        // A request no one stored, newer than the real one: it would win the prefix.
        { ...stored, eventId: randomUUID(), globalPosition: newer, data: { ...stored.data, target: malloryTarget } },
        // The real event's id with another target.
        { ...stored, data: { ...stored.data, target: malloryTarget } },
      ];
      for (const f of forgeries) {
        n.nc.publish(announceSubject(n.prefix, stream, f.type), JSON.stringify(f));
        n.nc.publish(`${n.prefix}.events.server.RouteRequested`, JSON.stringify(f));
      }
      await new Promise((res) => setTimeout(res, 300));
      assert.equal((await get(r.port, '/user/kate/api', 'kate')).status, 503, 'nothing stored is live yet');
      assert.equal(mallory.requests(), 0);

      n.nc.publish(announceSubject(n.prefix, stream, stored.type), JSON.stringify(stored));
      await waitFor('route live', async () => (await get(r.port, '/user/kate/api', 'kate')).status === 200);
      for (const f of forgeries) n.nc.publish(announceSubject(n.prefix, stream, f.type), JSON.stringify(f));
      // A forged removal would take the route away (and leave a tombstone refusing it after).
      const removal = {
        ...stored,
        eventId: randomUUID(),
        type: 'RouteRemovalRequested',
        globalPosition: newer,
        data: { spawnId, routeSpec: '/user/kate/', reason: 'forged' },
      };
      n.nc.publish(`${n.prefix}.events.server.RouteRemovalRequested`, JSON.stringify(removal));
      const stopped = { ...removal, type: 'ServerStopped', data: { spawnId, reason: 'forged' } };
      n.nc.publish(`${n.prefix}.events.server.ServerStopped`, JSON.stringify(stopped));
      await new Promise((res) => setTimeout(res, 300));
      const after = await get(r.port, '/user/kate/api', 'kate');
      assert.equal(after.status, 200);
      assert.equal(JSON.parse(after.body).owner, 'kate');
      assert.equal(mallory.requests(), 0);
      assert.ok(!(await readStream(t.pool, stream)).some((e) => e.type === 'RouteRemoved'));
    } finally {
      await kate.close();
      await mallory.close();
    }
  });

  it('a route announced ahead of the projection survives a reconcile and stays live once the projector resumes', async () => {
    const r = await bootReplica();
    const nb = await notebook('jack', '127.0.0.9');
    try {
      const stream = serverStreamId('jack', '');
      await appendToStream(t.pool, stream, spawnToRoute('jack', randomUUID(), `http://127.0.0.9:${nb.port}`));
      const stored = (await readStream(t.pool, stream)).find((e) => e.type === 'RouteRequested')!;
      n.nc.publish(announceSubject(n.prefix, stream, stored.type), JSON.stringify(stored));
      await waitFor('route live', async () => (await get(r.port, '/user/jack/api', 'jack')).status === 200);
      // The projector is paused: the routes projection does not have jack's route yet.
      const { rows } = await t.pool.query(`SELECT 1 FROM routes WHERE route_spec = '/user/jack/'`);
      assert.equal(rows.length, 0);
      await r.service.sync.reconcile();
      assert.equal((await get(r.port, '/user/jack/api', 'jack')).status, 200, 'kept through the reconcile');
      // The projector resumes: the relay's copy arrives and the projection catches up.
      apps.push(await bootstrapProjector(config));
      await waitFor('route projected', async () => {
        const q = await t.pool.query(`SELECT 1 FROM routes WHERE route_spec = '/user/jack/'`);
        return q.rows.length === 1;
      });
      await r.service.sync.reconcile();
      assert.equal((await get(r.port, '/user/jack/api', 'jack')).status, 200, 'live after the projector resumed');
    } finally {
      await nb.close();
    }
  });
});
