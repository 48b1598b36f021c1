// The launcher's one-time credential for the server API token, on a real port registry and
// PostgreSQL, over real HTTP from the job's "host" (127.0.0.2) and from elsewhere.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@condorhub/config';
import { launcherStreamId, newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { readModelMigrations } from '@condorhub/read-models';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats, serviceEnv } from '@condorhub/testing';
import { tokenMigrations, verifyToken } from '@condorhub/tokens';
import { issueLauncherBootstrap } from '../../../spawner/src/submit/launcher-bootstrap';
import { bootstrapPortRegistry } from '../bootstrap';

const JOB_HOST = '127.0.0.2';

describe('launcher credential exchange (real port registry and PostgreSQL)', () => {
  let t: TestDatabase;
  let n: TestNats;
  let app: INestApplication;
  let registryPort: number;

  before(async () => {
    t = await createTestDatabase('exchange', [...readModelMigrations, ...tokenMigrations]);
    n = await createTestNats('exchange');
    app = await bootstrapPortRegistry(
      loadConfig({ ...serviceEnv(t, n), CONDORHUB_PORT_REGISTRY_PORT: '0', CONDORHUB_LOG_LEVEL: 'warn' }),
    );
    registryPort = (app.getHttpServer().address() as net.AddressInfo).port;
  });
  after(async () => {
    await app?.close();
    await n?.drop();
    await t?.drop();
  });

  /** POST from `from` (a local address), with extra headers, like a launcher or someone else. */
  function exchange(
    body: unknown,
    opts: { from?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request(
        {
          host: '127.0.0.1',
          port: registryPort,
          method: 'POST',
          path: '/hub/api/condorhub/launcher/api-token',
          localAddress: opts.from ?? JOB_HOST,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...opts.headers },
          timeout: 20_000,
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: JSON.parse(text || '{}'), headers: res.headers }),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(data);
    });
  }

  const key = () => randomBytes(32).toString('hex');

  /** A spawn whose job runs on JOB_HOST, with its launcher credential. */
  async function runningSpawn(user: string, opts: { running?: boolean; issuedAgoS?: number } = {}) {
    const spawnId = randomUUID();
    await appendToStream(t.pool, serverStreamId(user, ''), [
      newEvent('SpawnRequested', { spawnId, user, serverName: '', options: {}, requestedBy: user }),
      newEvent('JobSubmitted', { spawnId, jobId: '1.0', submitHost: 'sim' }),
      ...(opts.running === false
        ? []
        : [newEvent('JobRunning', { spawnId, jobId: '1.0', host: JOB_HOST, slot: `slot1_1@${JOB_HOST}` })]),
    ]);
    // `issuedAgoS`: issued that long ago by the spawner's clock (600 s lifetime).
    const bootstrap = await issueLauncherBootstrap(
      t.pool,
      { spawnId, user, serverName: '', lifetimeS: 600 },
      () => Date.now() - (opts.issuedAgoS ?? 0) * 1000,
    );
    return { spawnId, bootstrap, stream: serverStreamId(user, '') };
  }

  /** Everything a refused request must leave as it was. */
  async function snapshot(spawnId: string, stream: string) {
    const { rows } = await t.pool.query(
      'SELECT count(*)::int AS n, count(*) FILTER (WHERE revoked_at IS NULL)::int AS live FROM api_tokens WHERE spawn_id = $1',
      [spawnId],
    );
    return {
      launcher: (await readStream(t.pool, launcherStreamId(spawnId))).length,
      server: (await readStream(t.pool, stream)).length,
      tokens: rows[0],
    };
  }

  it('gives the job host a live server token once, recorded as ApiTokenIssued, never cached', async () => {
    const { spawnId, bootstrap } = await runningSpawn('alice');
    const res = await exchange({ bootstrap, launcherKey: key() });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers['cache-control'], 'no-store');
    const record = await verifyToken(t.pool, res.body.token);
    assert.equal(record?.kind, 'server');
    assert.equal(record?.spawnId, spawnId);
    assert.equal(record?.owner, 'alice');
    const events = await readStream(t.pool, launcherStreamId(spawnId));
    assert.deepEqual(
      events.map((e) => e.type),
      ['LauncherBootstrapIssued', 'ApiTokenIssued'],
    );
    assert.equal((events[1].data as any).tokenId, record?.id);
    assert.equal((events[1].data as any).remoteAddress, JOB_HOST);
    // Neither the credential nor the token is in the event log.
    const log = JSON.stringify(events);
    assert.ok(!log.includes(bootstrap.split('.')[1]) && !log.includes(res.body.token));
  });

  it('the same launcher asking again (a lost reply) gets a new token; the first is revoked', async () => {
    const { bootstrap } = await runningSpawn('bob');
    const launcherKey = key();
    const first = await exchange({ bootstrap, launcherKey });
    const second = await exchange({ bootstrap, launcherKey });
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.notEqual(first.body.token, second.body.token);
    assert.equal(await verifyToken(t.pool, first.body.token), undefined);
    assert.ok(await verifyToken(t.pool, second.body.token));
  });

  it('a second use by another process is refused, recorded, and fails the spawn', async () => {
    const { spawnId, bootstrap, stream } = await runningSpawn('carol');
    const first = await exchange({ bootstrap, launcherKey: key() });
    assert.equal(first.status, 200);
    const before = await snapshot(spawnId, stream);
    const second = await exchange({ bootstrap, launcherKey: key() });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal(second.body.token, undefined);
    assert.match(second.body.message, /already exchanged by another process/);
    const after = await snapshot(spawnId, stream);
    assert.deepEqual(after.tokens, before.tokens, 'no token issued to the second caller');
    const launcherEvents = await readStream(t.pool, launcherStreamId(spawnId));
    assert.equal(launcherEvents.at(-1)!.type, 'ApiTokenExchangeRefused');
    const reported = (await readStream(t.pool, stream)).at(-1)!;
    assert.equal(reported.type, 'LauncherReported');
    assert.equal((reported.data as any).diagnosis, 'api-token-taken');
  });

  it("the job's next run (HTCondor ran it again) may exchange once more; the earlier token is revoked", async () => {
    const { spawnId, bootstrap, stream } = await runningSpawn('gina');
    const first = await exchange({ bootstrap, launcherKey: key() });
    assert.equal(first.status, 200);
    await appendToStream(t.pool, stream, [
      newEvent('JobIdle', { spawnId, jobId: '1.0' }),
      newEvent('JobRunning', { spawnId, jobId: '1.0', host: JOB_HOST, slot: `slot1_2@${JOB_HOST}` }),
    ]);
    const next = await exchange({ bootstrap, launcherKey: key() });
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.equal(await verifyToken(t.pool, first.body.token), undefined);
    assert.ok(await verifyToken(t.pool, next.body.token));
    // ...and only once per run.
    assert.equal((await exchange({ bootstrap, launcherKey: key() })).status, 409);
  });

  it('remembers an exchange across a restart of the port registry (it is an event, not a flag)', async () => {
    const { spawnId, bootstrap } = await runningSpawn('hank');
    assert.equal((await exchange({ bootstrap, launcherKey: key() })).status, 200);
    await app.close();
    app = await bootstrapPortRegistry(
      loadConfig({ ...serviceEnv(t, n), CONDORHUB_PORT_REGISTRY_PORT: '0', CONDORHUB_LOG_LEVEL: 'warn' }),
    );
    registryPort = (app.getHttpServer().address() as net.AddressInfo).port;
    assert.equal((await exchange({ bootstrap, launcherKey: key() })).status, 409);
    assert.equal((await readStream(t.pool, launcherStreamId(spawnId))).at(-1)!.type, 'ApiTokenExchangeRefused');
  });

  it('refuses after the spawn was stopped, changing nothing', async () => {
    const { spawnId, bootstrap, stream } = await runningSpawn('dave');
    await appendToStream(t.pool, stream, [newEvent('StopRequested', { spawnId, by: 'dave', reason: 'user' })]);
    const before = await snapshot(spawnId, stream);
    const res = await exchange({ bootstrap, launcherKey: key() });
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.equal(res.body.token, undefined);
    assert.deepEqual(await snapshot(spawnId, stream), before);
  });

  it('refuses an unknown or forged credential, an expired one, and a malformed body, changing nothing', async () => {
    const { spawnId, bootstrap, stream } = await runningSpawn('erin');
    const before = await snapshot(spawnId, stream);
    const forged = `${spawnId}.${randomBytes(32).toString('hex')}`;
    const unknown = `${randomUUID()}.${bootstrap.split('.')[1]}`;
    for (const b of [forged, unknown]) {
      const res = await exchange({ bootstrap: b, launcherKey: key() });
      assert.equal(res.status, 401, JSON.stringify(res.body));
      assert.match(res.body.message, /unknown or forged/);
    }
    for (const body of [{}, { bootstrap }, { bootstrap: 'x', launcherKey: key() }, [bootstrap]]) {
      assert.equal((await exchange(body)).status, 400, JSON.stringify(body));
    }
    assert.deepEqual(await snapshot(spawnId, stream), before);
    // The real credential still works afterwards.
    assert.equal((await exchange({ bootstrap, launcherKey: key() })).status, 200);

    const expired = await runningSpawn('erin2', { issuedAgoS: 601 });
    const res = await exchange({ bootstrap: expired.bootstrap, launcherKey: key() });
    assert.equal(res.status, 401);
    assert.match(res.body.message, /expired/);
    assert.equal((await snapshot(expired.spawnId, expired.stream)).tokens.n, 0);
  });

  it("refuses a request from another host than the job's, believing X-Forwarded-For only from the proxy", async () => {
    const { spawnId, bootstrap, stream } = await runningSpawn('frank');
    const before = await snapshot(spawnId, stream);
    // Another worker, directly, even claiming to be forwarded for the job's host.
    for (const headers of [{}, { 'x-forwarded-for': JOB_HOST }] as Record<string, string>[]) {
      const res = await exchange({ bootstrap, launcherKey: key() }, { from: '127.0.0.5', headers });
      assert.equal(res.status, 403, JSON.stringify(res.body));
    }
    // Through the proxy (127.0.0.1, trusted) from another worker that wrote its own header: the
    // proxy appends what it saw, the rightmost entry, and that is what counts.
    const forgedChain = await exchange(
      { bootstrap, launcherKey: key() },
      { from: '127.0.0.1', headers: { 'x-forwarded-for': `${JOB_HOST}, 127.0.0.5` } },
    );
    assert.equal(forgedChain.status, 403);
    assert.deepEqual(await snapshot(spawnId, stream), before);
    // Through the proxy from the job's host.
    const viaProxy = await exchange(
      { bootstrap, launcherKey: key() },
      { from: '127.0.0.1', headers: { 'x-forwarded-for': JOB_HOST } },
    );
    assert.equal(viaProxy.status, 200, JSON.stringify(viaProxy.body));
  });
});
