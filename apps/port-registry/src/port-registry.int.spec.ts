import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@condorhub/config';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { readModelMigrations } from '@condorhub/read-models';
import { type TestDatabase, type TestNats, createTestDatabase, createTestNats, serviceEnv } from '@condorhub/testing';
import { issueToken, revokeSpawnTokens, serverTokenScopes, tokenMigrations } from '@condorhub/tokens';
import { bootstrapPortRegistry } from './bootstrap';

/** The bytes python-requests sends for batchspawner-singleuser's report. */
function rawBatchspawnerRequest(port: number, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('timeout')));
    socket.on('data', (d) => (data += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
    socket.write(
      `POST /hub/api/batchspawner HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: python-requests/2.28.1\r\n` +
        `Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: close\r\nAuthorization: token ${token}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\n\r\n${body}`,
    );
  });
}

describe('port registry (real PostgreSQL, batchspawner wire format)', () => {
  let t: TestDatabase;
  let n: TestNats;
  let app: INestApplication;
  let base: string;
  let registryPort: number;
  let notebook: http.Server;
  let notebookPort: number;

  before(async () => {
    t = await createTestDatabase('registry', [...readModelMigrations, ...tokenMigrations]);
    n = await createTestNats('registry');
    const config = loadConfig({
      ...serviceEnv(t, n),
      CONDORHUB_PORT_REGISTRY_PORT: '0',
      CONDORHUB_LOG_LEVEL: 'warn',
    });
    app = await bootstrapPortRegistry(config);
    registryPort = (app.getHttpServer().address() as net.AddressInfo).port;
    base = `http://127.0.0.1:${registryPort}`;
    notebook = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ version: '6.4.12', path: req.url }));
    });
    await new Promise<void>((r) => notebook.listen(0, '127.0.0.2', r));
    notebookPort = (notebook.address() as net.AddressInfo).port;
  });
  after(async () => {
    await app?.close();
    notebook?.close();
    await n?.drop();
    await t?.drop();
  });

  async function spawnWaitingForPort(user: string) {
    const spawnId = randomUUID();
    await appendToStream(t.pool, serverStreamId(user, ''), [
      newEvent('SpawnRequested', { spawnId, user, serverName: '', options: {}, requestedBy: user }),
      newEvent('JobSubmitted', { spawnId, jobId: '1.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '1.0', host: '127.0.0.2', slot: 'slot1_1@127.0.0.2' }),
    ]);
    return { spawnId, token: await serverToken(user, spawnId) };
  }
  const serverToken = (user: string, spawnId: string) =>
    issueToken(t.pool, { owner: user, kind: 'server', spawnId, serverName: '', scopes: serverTokenScopes(user, '') });
  const post = (path: string, token: string | undefined, body: string) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `token ${token}` } : {}) },
      body,
      signal: AbortSignal.timeout(20_000),
    });

  it('accepts the stock batchspawner request, then the notebook answers the handshake', async () => {
    const { token } = await spawnWaitingForPort('alice');
    const res = await rawBatchspawnerRequest(registryPort, token, JSON.stringify({ port: notebookPort }));
    assert.equal(res.status, 200, res.body);
    for (let i = 0; i < 100; i++) {
      if ((await readStream(t.pool, serverStreamId('alice', ''))).some((e) => e.type === 'NotebookResponded')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const events = await readStream(t.pool, serverStreamId('alice', ''));
    // The lifecycle's next step (the route request) is recorded with the answer, in one append.
    assert.deepEqual(events.map((e) => e.type).slice(-3), ['PortReported', 'NotebookResponded', 'RouteRequested']);
    assert.equal(events.at(-1)!.transactionId, events.at(-2)!.transactionId);
    const [reported, answered, routeRequested] = events.slice(-3).map((e) => e.data as any);
    assert.deepEqual(reported.port, notebookPort);
    assert.equal(answered.url, `http://127.0.0.2:${notebookPort}/user/alice/api`);
    assert.equal(answered.version, '6.4.12');
    // How long the notebook took to answer is kept for the timeline and operators.
    assert.ok(answered.attempts >= 1);
    assert.ok(answered.waitedMs >= 0);
    assert.deepEqual(routeRequested, {
      spawnId: answered.spawnId,
      routeSpec: '/user/alice/',
      target: `http://127.0.0.2:${notebookPort}`,
      owner: 'alice',
    });
    // The launcher retries after a lost reply: the same report again is fine, and stores nothing.
    const stored = (await readStream(t.pool, serverStreamId('alice', ''))).length;
    const again = await post('/hub/api/batchspawner', token, JSON.stringify({ port: notebookPort }));
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { message: string }).message, 'port already recorded');
    assert.equal((await readStream(t.pool, serverStreamId('alice', ''))).length, stored);
    // Another port from the same spawn: its job started again (here: its launcher restarted on the
    // same node). Accepted; the route stays where it is until the new port answers the handshake.
    assert.equal((await post('/hub/api/batchspawner', token, JSON.stringify({ port: 1234 }))).status, 200);
    const after = await readStream(t.pool, serverStreamId('alice', ''));
    assert.deepEqual(
      after.slice(stored).map((e) => [e.type, (e.data as any).port]),
      [['PortReported', 1234]],
    );
  });

  it('resumes a handshake the projection shows only after the registry started (stored just before a restart)', async () => {
    // PortReported was stored by a registry that died before probing; the projection shows it
    // only now (the projector lagged or was down too). No report comes again.
    const { spawnId } = await spawnWaitingForPort('frank');
    const stream = serverStreamId('frank', '');
    await appendToStream(t.pool, stream, [
      newEvent('PortReported', { spawnId, host: '127.0.0.2', port: notebookPort }),
    ]);
    const version = (await readStream(t.pool, stream)).length;
    await t.pool.query(
      `INSERT INTO servers (user_name, server_name, stream_id, stream_version, spawn_id, phase, job_id, host, port, state)
       VALUES ('frank', '', $1, $2, $3, 'port-reported', '1.0', '127.0.0.2', $4, '{}')`,
      [stream, version, spawnId, notebookPort],
    );
    for (let i = 0; i < 150; i++) {
      if ((await readStream(t.pool, stream)).some((e) => e.type === 'NotebookResponded')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const types = (await readStream(t.pool, stream)).map((e) => e.type);
    assert.deepEqual(types.slice(-3), ['PortReported', 'NotebookResponded', 'RouteRequested']);
  });

  it("refuses a report of another user's port on the same node: no route, the other server untouched", async () => {
    // A notebook as jupyterhub-singleuser answers: its own base URL only, 404 for any other.
    const davesNotebook = http.createServer((req, res) => {
      const mine = req.url?.startsWith('/user/dave/');
      res.writeHead(mine ? 200 : 404, { 'content-type': 'application/json' });
      res.end(mine ? '{"version":"2.14.0"}' : '{"message":"Not Found"}');
    });
    await new Promise<void>((r) => davesNotebook.listen(0, '127.0.0.2', r));
    const davesPort = (davesNotebook.address() as net.AddressInfo).port;
    try {
      const dave = await spawnWaitingForPort('dave');
      assert.equal((await post('/hub/api/batchspawner', dave.token, JSON.stringify({ port: davesPort }))).status, 200);
      const routed = async (user: string) =>
        (await readStream(t.pool, serverStreamId(user, ''))).some((e) => e.type === 'RouteRequested');
      for (let i = 0; i < 100 && !(await routed('dave')); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(await routed('dave'));
      const davesEvents = await readStream(t.pool, serverStreamId('dave', ''));

      // Erin's job runs on the same node and reports Dave's port with her own token.
      const erin = await spawnWaitingForPort('erin');
      assert.equal((await post('/hub/api/batchspawner', erin.token, JSON.stringify({ port: davesPort }))).status, 200);
      const erinsStream = serverStreamId('erin', '');
      const failed = async () => (await readStream(t.pool, erinsStream)).find((e) => e.type === 'HandshakeFailed');
      for (let i = 0; i < 100 && !(await failed()); i++) await new Promise((r) => setTimeout(r, 50));
      const refusal = (await failed())?.data as { url: string; status: number; error: string } | undefined;
      assert.ok(refusal, 'the handshake refused the port');
      assert.equal(refusal.status, 404);
      assert.equal(refusal.url, `http://127.0.0.2:${davesPort}/user/erin/api`);
      assert.match(refusal.error, /is not this spawn's notebook/);
      const erinsTypes = (await readStream(t.pool, erinsStream)).map((e) => e.type);
      assert.ok(
        !erinsTypes.includes('NotebookResponded') && !erinsTypes.includes('RouteRequested'),
        String(erinsTypes),
      );
      // Dave's server: not one event more, and his notebook still answers at its target.
      assert.deepEqual(
        (await readStream(t.pool, serverStreamId('dave', ''))).map((e) => e.eventId),
        davesEvents.map((e) => e.eventId),
      );
      assert.equal((await fetch(`http://127.0.0.2:${davesPort}/user/dave/api`)).status, 200);
    } finally {
      davesNotebook.close();
    }
  });

  it('takes a report that comes before the spawner recorded the submit, while others keep appending', async () => {
    const user = 'early';
    const stream = serverStreamId(user, '');
    const spawnId = randomUUID();
    await appendToStream(t.pool, stream, [
      newEvent('SpawnRequested', { spawnId, user, serverName: '', options: {}, requestedBy: user }),
    ]);
    const token = await serverToken(user, spawnId);
    const report = post('/hub/api/batchspawner', token, JSON.stringify({ port: notebookPort }));
    // The submit is recorded late; then the poller sees the job idle, then running.
    await new Promise((r) => setTimeout(r, 300));
    await appendToStream(t.pool, stream, [newEvent('JobSubmitted', { spawnId, jobId: '7.0', submitHost: 'sim' })]);
    await new Promise((r) => setTimeout(r, 100));
    await appendToStream(t.pool, stream, [newEvent('JobIdle', { spawnId, jobId: '7.0' })]);
    await appendToStream(t.pool, stream, [
      newEvent('JobRunning', { spawnId, jobId: '7.0', host: '127.0.0.2', slot: 'slot1_1@127.0.0.2' }),
    ]);
    const res = await report;
    assert.equal(res.status, 200, await res.text());
    const events = await readStream(t.pool, stream);
    const reported = events.find((e) => e.type === 'PortReported');
    assert.deepEqual(reported?.data, { spawnId, host: '127.0.0.2', port: notebookPort });
  });

  it('refuses bad reports with a clear JSON error and stores nothing', async () => {
    const { spawnId, token } = await spawnWaitingForPort('bob');
    const userToken = await issueToken(t.pool, { owner: 'bob', kind: 'user', scopes: [] });
    const version = async () => (await readStream(t.pool, serverStreamId('bob', ''))).length;
    const before = await version();
    const cases: [string | undefined, string, number, RegExp][] = [
      [undefined, '{"port": 8888}', 401, /missing token/],
      ['not-a-token', '{"port": 8888}', 401, /invalid/],
      [userToken, '{"port": 8888}', 403, /not a server token/],
      [token, '{"port": "8888"}', 400, /integer/],
      [token, '{"port": 70000}', 400, /integer/],
      [token, '[8888]', 400, /JSON object/],
      [token, '{"port": 88', 400, /not valid JSON/],
      [token, JSON.stringify({ port: 8888, pad: 'x'.repeat(10_000) }), 413, /larger than/],
    ];
    for (const [tok, body, status, message] of cases) {
      const res = await post('/hub/api/batchspawner', tok, body);
      const json = (await res.json()) as { message: string };
      assert.equal(res.status, status, `${body.slice(0, 30)} → ${JSON.stringify(json)}`);
      assert.match(json.message, message);
    }
    assert.equal(await version(), before);
    await revokeSpawnTokens(t.pool, spawnId);
    assert.equal((await post('/hub/api/batchspawner', token, '{"port": 8888}')).status, 401);
    assert.equal(await version(), before);
  });

  it('records launcher diagnostics for the token’s spawn, and validates them', async () => {
    const { token } = await spawnWaitingForPort('carol');
    const ok = await post(
      '/hub/api/condorhub/launcher',
      token,
      JSON.stringify({
        stage: 'preflight',
        diagnosis: 'home-over-quota',
        message: 'Home is full',
        exitCode: null,
        stderrTail: 'ENOSPC',
      }),
    );
    assert.equal(ok.status, 200);
    const bad = await post('/hub/api/condorhub/launcher', token, JSON.stringify({ stage: 'later', diagnosis: 'x' }));
    assert.equal(bad.status, 400);
    const events = await readStream(t.pool, serverStreamId('carol', ''));
    assert.equal(events.filter((e) => e.type === 'LauncherReported').length, 1);
  });
});
