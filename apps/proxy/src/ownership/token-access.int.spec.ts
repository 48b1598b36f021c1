import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { issueToken, serverTokenScopes } from '@condorhub/tokens';
import { ADMIN_TOKEN, HubHarness } from '../../../hub/src/testing/hub-harness';
import { ProxyServer } from '../proxy-server';
import {
  closeWs,
  deadPort,
  nextMessage,
  openWs,
  request as get,
  TEST_SECRET,
  type Backend,
} from '../testing/test-backends';
import { type TestProxy, startTestProxy } from '../testing/test-proxy';

// The real hub answers what a token may do (GET /hub/api/user); the proxy lets a token through
// only with access:servers on the server it asks for.
describe('API tokens at the proxy are checked with the real hub', () => {
  const h = new HubHarness();
  const admin = { Authorization: `token ${ADMIN_TOKEN}` };
  const tokens: Record<string, string> = {};
  let alice: Backend;
  let proxy: ProxyServer;
  let t: TestProxy;

  before(async () => {
    await h.start('proxy_tokens');
    for (const name of ['alice', 'bob', 'root']) {
      // root exists already: the harness makes it an admin (CONDORHUB_ADMIN_USERS).
      if (name !== 'root') await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
      tokens[name] = (await request(h.server).post(`/hub/api/users/${name}/tokens`).set(admin).expect(201)).body.token;
    }
    tokens.aliceReadOnly = (
      await request(h.server)
        .post('/hub/api/users/alice/tokens')
        .set(admin)
        .send({ scopes: ['read:users!user=alice'] })
        .expect(201)
    ).body.token;
    tokens.aliceGpuServer = await issueToken(h.t.pool, {
      owner: 'alice',
      kind: 'server',
      serverName: 'gpu',
      scopes: serverTokenScopes('alice', 'gpu'),
    });
    await new Promise<void>((r) => h.server.listen(0, '127.0.0.1', () => r()));
    t = await startTestProxy({
      routes: ['alice', 'alice/gpu'],
      options: { hubUrl: `http://127.0.0.1:${(h.server.address() as AddressInfo).port}`, adminToken: ADMIN_TOKEN },
    });
    ({ proxy } = t);
    ({ alice } = t.backends);
  });
  after(async () => {
    await t?.close();
    await h.stop();
  });

  const status = async (path: string, headers: Record<string, string> = {}) =>
    (await get(`${proxy.url}${path}`, headers)).status;

  test('the owner’s token passes, in the header or as ?token=, and the notebook still gets it to check', async () => {
    assert.equal(await status('/user/alice/api', { authorization: `token ${tokens.alice}` }), 200);
    assert.equal(await status('/user/alice/api', { authorization: `Bearer ${tokens.alice}` }), 200);
    const r = await get(`${proxy.url}/user/alice/api?token=${tokens.alice}`);
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.body).path, `/user/alice/api?token=${tokens.alice}`);
  });

  test('another user’s token, an unknown one and one without access:servers are refused; the notebook sees none', async () => {
    const before = alice.requests.length;
    for (const token of [tokens.bob, 'not-a-token', tokens.aliceReadOnly]) {
      assert.equal(await status('/user/alice/api', { authorization: `token ${token}` }), 403);
      assert.equal(await status(`/user/alice/api?token=${token}`), 403);
    }
    assert.equal(alice.requests.length, before);
  });

  test('a server’s own token reaches that server only', async () => {
    assert.equal(await status('/user/alice/gpu/api', { authorization: `token ${tokens.aliceGpuServer}` }), 200);
    assert.equal(await status('/user/alice/api', { authorization: `token ${tokens.aliceGpuServer}` }), 403);
  });

  test('admins reach every server, as JupyterHub’s admin role (access:servers)', async () => {
    assert.equal(await status('/user/alice/api', { authorization: `token ${tokens.root}` }), 200);
    assert.equal(await status('/user/alice/api', { authorization: `token ${ADMIN_TOKEN}` }), 200);
  });

  test('a token is looked up once, then served from the cache', async () => {
    const before = proxy.tokens.lookups;
    for (let i = 0; i < 5; i++) await status('/user/alice/api', { authorization: `token ${tokens.alice}` });
    assert.equal(proxy.tokens.lookups, before);
  });

  test('a hub that cannot be asked vouches for nothing: the token is refused, and asked again next time', async () => {
    const cut = new ProxyServer({
      port: 0,
      hubUrl: `http://127.0.0.1:${await deadPort()}`,
      cookieSecret: TEST_SECRET,
      tokens: { timeoutMs: 1000 },
    });
    await cut.start();
    try {
      cut.routes.set({
        routeSpec: '/user/alice/',
        target: alice.url,
        spawnId: 's1',
        owner: 'alice',
        serverName: '',
        generation: 1,
      });
      for (let i = 0; i < 2; i++) {
        assert.equal((await get(`${cut.url}/user/alice/api`, { authorization: `token ${tokens.alice}` })).status, 403);
      }
      assert.equal(cut.tokens.lookups, 2, 'a failed lookup is not cached');
    } finally {
      await cut.stop();
    }
    // A hub that accepts and never answers: the lookup times out.
    const held = new Set<net.Socket>();
    const silent = net.createServer((c) => held.add(c));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const hung = new ProxyServer({
      port: 0,
      hubUrl: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      cookieSecret: TEST_SECRET,
      tokens: { timeoutMs: 300 },
    });
    await hung.start();
    try {
      hung.routes.set({
        routeSpec: '/user/alice/',
        target: alice.url,
        spawnId: 's1',
        owner: 'alice',
        serverName: '',
        generation: 1,
      });
      assert.equal((await get(`${hung.url}/user/alice/api`, { authorization: `token ${tokens.alice}` })).status, 403);
    } finally {
      await hung.stop();
      for (const c of held) c.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('websockets: ?token= of the owner opens, another user’s gets 403', async () => {
    const ws = await openWs(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels?token=${tokens.alice}`);
    ws.send('hi');
    assert.equal(await nextMessage(ws), 'alice:hi');
    await closeWs(ws);
    await assert.rejects(openWs(`ws://127.0.0.1:${proxy.port}/user/alice/api/kernels/k/channels?token=${tokens.bob}`), {
      status: 403,
    });
  });
});
