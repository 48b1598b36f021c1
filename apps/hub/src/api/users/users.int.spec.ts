import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { proxyActivitySubject } from '@condorhub/contracts';
import { issueToken, serverTokenScopes } from '@condorhub/tokens';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let aliceToken: string;
let bobToken: string;

before(async () => {
  await h.start('hub_users');
  for (const name of ['alice', 'bob']) {
    await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
  }
  aliceToken = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).send({}).expect(201)).body.token;
  bobToken = (await request(h.server).post('/hub/api/users/bob/tokens').set(admin).expect(201)).body.token;
});
after(() => h.stop());

describe('root and version header', () => {
  it('GET /hub/api/ needs no token and answers the configured JupyterHub version', async () => {
    const res = await request(h.server).get('/hub/api/').expect(200);
    assert.deepEqual(res.body, { version: '3.0.0' });
    assert.equal(res.headers['x-jupyterhub-version'], '3.0.0');
    await request(h.server).get('/hub/api').expect(200);
  });

  it('sends the version header on errors too, with JupyterHub-style JSON errors', async () => {
    const missing = await request(h.server).get('/hub/api/nothing-here').expect(404);
    assert.equal(missing.headers['x-jupyterhub-version'], '3.0.0');
    assert.equal(missing.body.status, 404);
    const unauth = await request(h.server).get('/hub/api/users').expect(401);
    assert.equal(unauth.headers['x-jupyterhub-version'], '3.0.0');
    assert.deepEqual(Object.keys(unauth.body).sort(), ['message', 'status']);
  });
});

describe('tokens and scopes', () => {
  it('refuses a request without a token (401) or with an unknown one (401)', async () => {
    await request(h.server).get('/hub/api/users/alice').expect(401);
    await request(h.server).get('/hub/api/users/alice').set('Authorization', 'token nope').expect(401);
    await request(h.server).get('/hub/api/user').expect(401);
  });

  it("refuses another user's resources (403) and lets the admin token through", async () => {
    const res = await request(h.server)
      .get('/hub/api/users/alice')
      .set('Authorization', `token ${bobToken}`)
      .expect(403);
    assert.match(res.body.message, /requires any of/);
    await request(h.server).post('/hub/api/users/alice/server').set('Authorization', `token ${bobToken}`).expect(403);
    await request(h.server).get('/hub/api/users').set('Authorization', `token ${bobToken}`).expect(403);
    await request(h.server).get('/hub/api/users/alice').set(admin).expect(200);
    const list = await request(h.server).get('/hub/api/users').set(admin).expect(200);
    await h.projected();
    assert.ok(Array.isArray(list.body));
  });

  it('accepts the token as `bearer`, as `token`, and as ?token=', async () => {
    await request(h.server).get('/hub/api/users/alice').set('Authorization', `Bearer ${aliceToken}`).expect(200);
    await request(h.server).get('/hub/api/users/alice').set('Authorization', `token ${aliceToken}`).expect(200);
    await request(h.server).get(`/hub/api/users/alice?token=${aliceToken}`).expect(200);
  });

  it('GET /hub/api/user returns the owner with expanded scopes', async () => {
    const res = await request(h.server).get('/hub/api/user').set('Authorization', `token ${aliceToken}`).expect(200);
    assert.equal(res.body.name, 'alice');
    assert.equal(res.body.kind, 'user');
    assert.equal(res.body.admin, false);
    assert.equal(res.body.session_id, null);
    for (const s of [
      'servers!user=alice',
      'read:servers!user=alice',
      'access:servers!user=alice',
      'users:activity!user=alice',
    ]) {
      assert.ok(res.body.scopes.includes(s), `missing ${s}`);
    }
    assert.ok(!res.body.scopes.includes('admin:users'));
    assert.deepEqual(res.body.servers, {});
  });

  it("a server's own token identifies as its user with access to that server only", async () => {
    const token = await issueToken(h.t.pool, {
      owner: 'alice',
      kind: 'server',
      serverName: '',
      scopes: serverTokenScopes('alice', ''),
    });
    const res = await request(h.server).get('/hub/api/user').set('Authorization', `token ${token}`).expect(200);
    assert.equal(res.body.name, 'alice');
    assert.ok(res.body.scopes.includes('access:servers!server=alice/'));
    assert.ok(res.body.scopes.includes('users:activity!user=alice'));
    assert.ok(!res.body.scopes.includes('servers!user=alice'));
    // It may report activity, but not start servers.
    await request(h.server)
      .post('/hub/api/users/alice/activity')
      .set('Authorization', `token ${token}`)
      .send({ last_activity: new Date().toISOString() })
      .expect(200);
    await request(h.server).post('/hub/api/users/alice/server').set('Authorization', `token ${token}`).expect(403);
  });

  it('admin users from the config get admin scopes on their tokens', async () => {
    await h.projected();
    const created = await request(h.server).post('/hub/api/users/root/tokens').set(admin).expect(201);
    const res = await request(h.server).get('/hub/api/user').set('Authorization', `token ${created.body.token}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.admin, true);
    assert.ok(res.body.scopes.includes('admin:users'));
    await request(h.server).get('/hub/api/users').set('Authorization', `token ${created.body.token}`).expect(200);
  });

  it('a user creates their own token; tokens never exceed the owner', async () => {
    const mine = await request(h.server)
      .post('/hub/api/users/alice/tokens')
      .set('Authorization', `token ${aliceToken}`)
      .send({ note: 'script', scopes: ['read:servers!user=alice'] })
      .expect(201);
    assert.equal(mine.body.kind, 'api_token');
    assert.equal(mine.body.note, 'script');
    assert.deepEqual(mine.body.scopes, ['read:servers!user=alice', 'read:users:name!user=alice']);
    await request(h.server)
      .post('/hub/api/users/alice/server')
      .set('Authorization', `token ${mine.body.token}`)
      .expect(403);
    await request(h.server)
      .post('/hub/api/users/alice/tokens')
      .set('Authorization', `token ${aliceToken}`)
      .send({ scopes: ['admin:users'] })
      .expect(403);
    await request(h.server).post('/hub/api/users/bob/tokens').set('Authorization', `token ${aliceToken}`).expect(403);
    await request(h.server)
      .post('/hub/api/users/alice/tokens')
      .set('Authorization', `token ${aliceToken}`)
      .send({ expires_in: 'soon' })
      .expect(400);
  });
});

describe('users', () => {
  it('creates a user (admin only), refuses a duplicate with 409, deletes it', async () => {
    await request(h.server).post('/hub/api/users/carol').set('Authorization', `token ${aliceToken}`).expect(403);
    const created = await request(h.server).post('/hub/api/users/carol').set(admin).send({ admin: false }).expect(201);
    assert.equal(created.body.name, 'carol');
    await request(h.server).post('/hub/api/users/carol').set(admin).expect(409);
    await request(h.server).get('/hub/api/users/carol').set(admin).expect(200);
    await request(h.server).delete('/hub/api/users/carol').set(admin).expect(204);
    await request(h.server).get('/hub/api/users/carol').set(admin).expect(404);
    await request(h.server).delete('/hub/api/users/carol').set(admin).expect(404);
    // A deleted user may be created again.
    await request(h.server).post('/hub/api/users/carol').set(admin).expect(201);
    await h.projected();
    const list = await request(h.server).get('/hub/api/users').set(admin).expect(200);
    assert.deepEqual(
      list.body.map((u: any) => u.name),
      ['alice', 'bob', 'carol', 'root'],
    );
  });

  it('refuses bad user input with 400 and stores nothing', async () => {
    await request(h.server).post('/hub/api/users/Not_Valid!').set(admin).expect(400);
    await request(h.server).post('/hub/api/users/dave').set(admin).send({ admin: 'yes' }).expect(400);
    await request(h.server).post('/hub/api/users/dave').set(admin).send([1]).expect(400);
    await request(h.server).get('/hub/api/users/dave').set(admin).expect(404);
    const { rows } = await h.t.pool.query("SELECT count(*)::int AS n FROM events WHERE stream_id = 'user-dave'");
    assert.equal(rows[0].n, 0);
  });

  it('deleting a user stops their servers first', async () => {
    await request(h.server).post('/hub/api/users/erin').set(admin).expect(201);
    h.startScripts.set('erin', 'happy');
    await request(h.server).post('/hub/api/users/erin/server').set(admin).expect(201);
    await request(h.server).delete('/hub/api/users/erin').set(admin).expect(204);
    const types = (await h.streamEvents('erin')).map((e) => e.type);
    // The stop, the removal the lifecycle asks for, and the server stopped last.
    assert.ok(types.includes('StopRequested'), types.join());
    assert.equal(types.at(-1), 'ServerStopped');
    await request(h.server).get('/hub/api/users/erin').set(admin).expect(404);
  });
});

describe('activity', () => {
  const post = (body: unknown, token = aliceToken, user = 'alice') =>
    request(h.server)
      .post(`/hub/api/users/${user}/activity`)
      .set('Authorization', `token ${token}`)
      .set('Content-Type', 'application/json')
      .send(typeof body === 'string' ? body : JSON.stringify(body));

  it('follows JupyterHub’s body rules', async () => {
    await post([1, 2]).expect(400);
    await post('"text"').expect(400);
    await post({}).expect(400);
    await post({ servers: { nope: { last_activity: new Date().toISOString() } } }).expect(400);
    await post({ servers: { '': 'yesterday' } }).expect(400);
    await post({ last_activity: 'not a time' }).expect(400);
    const future = new Date(Date.now() + 61 * 60_000).toISOString();
    const res = await post({ last_activity: future }).expect(400);
    assert.match(res.body.message, /future/);
    await post({ last_activity: new Date().toISOString() }, ADMIN_TOKEN, 'nobody').expect(404);
    const { rows } = await h.t.pool.query("SELECT count(*)::int AS n FROM server_activity WHERE user_name = 'alice'");
    assert.equal(rows[0].n, 0);
  });

  it('stores the latest activity, never an older one, and shows it in the model', async () => {
    const recent = new Date(Date.now() - 60_000);
    const res = await post({
      last_activity: recent.toISOString(),
      servers: { '': { last_activity: recent.toISOString().replace('Z', '123Z') } },
    }).expect(200);
    assert.equal(res.text, '');
    const older = new Date(Date.now() - 3_600_000).toISOString();
    await post({ last_activity: older, servers: { '': { last_activity: older } } }).expect(200);
    const { rows } = await h.t.pool.query("SELECT last_activity FROM server_activity WHERE user_name = 'alice'");
    assert.equal(rows[0].last_activity.toISOString(), recent.toISOString());
    const user = await request(h.server).get('/hub/api/users/alice').set(admin).expect(200);
    assert.ok(Date.parse(user.body.last_activity) >= recent.getTime());
  });

  it('takes browser activity the proxy publishes, forward only, ignoring malformed batches', async () => {
    const subject = proxyActivitySubject(h.n.prefix);
    const at = new Date(Date.now() - 1_000);
    h.n.nc.publish(subject, 'not json');
    h.n.nc.publish(subject, JSON.stringify([{ routeSpec: '/hub/', spawnId: 's', lastActivity: at.getTime() }]));
    h.n.nc.publish(
      subject,
      JSON.stringify([
        { routeSpec: '/user/bob/', spawnId: 's1', lastActivity: at.getTime() },
        { routeSpec: '/user/bob/gpu/', spawnId: 's2', lastActivity: at.getTime() - 5_000 },
      ]),
    );
    const serverActivity = async () =>
      (
        await h.t.pool.query(
          "SELECT server_name, last_activity FROM server_activity WHERE user_name = 'bob' ORDER BY server_name",
        )
      ).rows.map((r) => [r.server_name, r.last_activity.getTime()]);
    for (let i = 0; i < 100 && (await serverActivity()).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await serverActivity(), [
      ['', at.getTime()],
      ['gpu', at.getTime() - 5_000],
    ]);
    const user = await request(h.server).get('/hub/api/users/bob').set(admin).expect(200);
    assert.ok(Date.parse(user.body.last_activity) >= at.getTime());
    // An older batch arriving late moves nothing back.
    h.n.nc.publish(subject, JSON.stringify([{ routeSpec: '/user/bob/', spawnId: 's1', lastActivity: 1_000 }]));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await serverActivity())[0], ['', at.getTime()]);
  });

  it("refuses another user's activity", async () => {
    await post({ last_activity: new Date().toISOString() }, bobToken).expect(403);
  });
});

describe('bodies', () => {
  it('answers an oversized body with 413 and invalid JSON with 400', async () => {
    const big = JSON.stringify({ note: 'x'.repeat(70 * 1024) });
    const res = await request(h.server)
      .post('/hub/api/users/alice/tokens')
      .set('Authorization', `token ${aliceToken}`)
      .set('Content-Type', 'application/json')
      .send(big)
      .expect(413);
    assert.equal(res.body.status, 413);
    assert.equal(res.headers['x-jupyterhub-version'], '3.0.0');
    await request(h.server)
      .post('/hub/api/users/alice/activity')
      .set('Authorization', `token ${aliceToken}`)
      .set('Content-Type', 'application/json')
      .send('{"last_activity": ')
      .expect(400);
  });
});
