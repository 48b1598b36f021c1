import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let aliceToken: string;

before(async () => {
  await h.start('hub_info');
  for (const name of ['alice', 'bob']) await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
  aliceToken = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body.token;
});
after(() => h.stop());

describe('GET /info', () => {
  it('answers the JupyterHub version and the spawner and authenticator, to admins only', async () => {
    const res = await request(h.server).get('/hub/api/info').set(admin).expect(200);
    assert.equal(res.body.version, '3.0.0');
    assert.equal(typeof res.body.spawner.class, 'string');
    assert.equal(typeof res.body.authenticator.class, 'string');
    assert.ok('python' in res.body && 'sys_executable' in res.body);
    await request(h.server).get('/hub/api/info').set('Authorization', `token ${aliceToken}`).expect(403);
    await request(h.server).get('/hub/api/info').expect(401);
  });
});

describe('/proxy', () => {
  it('GET lists the routes as configurable-http-proxy shows them to JupyterHub', async () => {
    h.startScripts.set('alice', 'happy');
    h.startScripts.set('bob', 'happy');
    h.ports.set('bob', 41001);
    await request(h.server).post('/hub/api/users/alice/server').set(admin).expect(201);
    await request(h.server).post('/hub/api/users/bob/servers/gpu').set(admin).expect(201);
    await h.projected();
    const routes = (await request(h.server).get('/hub/api/proxy').set(admin).expect(200)).body;
    assert.deepEqual(Object.keys(routes), ['/user/alice/', '/user/bob/gpu/']);
    assert.deepEqual(routes['/user/bob/gpu/'], {
      routespec: '/user/bob/gpu/',
      target: 'http://127.0.0.2:41001',
      data: { user: 'bob', server_name: 'gpu', last_activity: null, condorhub_state: 'added' },
    });
    const page = (
      await request(h.server)
        .get('/hub/api/proxy?limit=1')
        .set({ ...admin, Accept: 'application/jupyterhub-pagination+json' })
        .expect(200)
    ).body;
    assert.deepEqual(Object.keys(page.items), ['/user/alice/']);
    assert.equal(page._pagination.total, 2);
    assert.equal(page._pagination.next.offset, 1);
  });

  it('POST and PATCH are accepted as a resync and change nothing; all need the proxy scope', async () => {
    const before = (await request(h.server).get('/hub/api/proxy').set(admin).expect(200)).body;
    await request(h.server).post('/hub/api/proxy').set(admin).expect(200);
    await request(h.server)
      .patch('/hub/api/proxy')
      .set(admin)
      .send({ api_url: 'http://x', auth_token: 'y' })
      .expect(200);
    assert.deepEqual((await request(h.server).get('/hub/api/proxy').set(admin).expect(200)).body, before);
    const alice = { Authorization: `token ${aliceToken}` };
    await request(h.server).get('/hub/api/proxy').set(alice).expect(403);
    await request(h.server).patch('/hub/api/proxy').set(alice).expect(403);
  });
});

describe('POST /shutdown', () => {
  it('is refused with a message that says who stops condorhub, and the hub keeps answering', async () => {
    const res = await request(h.server).post('/hub/api/shutdown').set(admin).send({ servers: true }).expect(501);
    assert.match(res.body.message, /service manager/);
    await request(h.server).post('/hub/api/shutdown').set('Authorization', `token ${aliceToken}`).expect(403);
    await request(h.server).get('/hub/api/info').set(admin).expect(200);
  });
});
