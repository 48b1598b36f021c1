import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { userStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { rebuildReadModels } from '@condorhub/read-models';
import { ADMIN_TOKEN, HubHarness, sseEvents, sseParser } from '../../testing/hub-harness';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
const paginated = { ...admin, Accept: 'application/jupyterhub-pagination+json' };

before(async () => {
  await h.start('hub_users_admin');
});
after(() => h.stop());

describe('POST /users (bulk) and PATCH /users/<name>', () => {
  it('creates the users that do not exist yet, 409 when all exist, 400 on a bad name (creating none)', async () => {
    await request(h.server).post('/hub/api/users/ann').set(admin).expect(201);
    const res = await request(h.server)
      .post('/hub/api/users')
      .set(admin)
      .send({ usernames: ['ann', 'ben', 'cat'], admin: true })
      .expect(201);
    assert.deepEqual(
      res.body.map((u: any) => [u.name, u.admin]),
      [
        ['ben', true],
        ['cat', true],
      ],
    );
    const again = await request(h.server)
      .post('/hub/api/users')
      .set(admin)
      .send({ usernames: ['ann', 'ben'] })
      .expect(409);
    assert.match(again.body.message, /All 2 users already exist/);
    const bad = await request(h.server)
      .post('/hub/api/users')
      .set(admin)
      .send({ usernames: ['dan', 'Not Valid'] })
      .expect(400);
    assert.match(bad.body.message, /Invalid usernames: Not Valid/);
    await request(h.server).get('/hub/api/users/dan').set(admin).expect(404);
    await request(h.server).post('/hub/api/users').set(admin).send({ usernames: [] }).expect(400);
    const ann = (await request(h.server).post('/hub/api/users/ann/tokens').set(admin).expect(201)).body.token;
    await request(h.server)
      .post('/hub/api/users')
      .set('Authorization', `token ${ann}`)
      .send({ usernames: ['eve'] })
      .expect(403);
  });

  it('PATCH sets and clears the admin flag as an event; the next read and a token show it', async () => {
    const token = (await request(h.server).post('/hub/api/users/ann/tokens').set(admin).expect(201)).body.token;
    const me = { Authorization: `token ${token}` };
    await request(h.server).get('/hub/api/users').set(me).expect(403);
    const res = await request(h.server).patch('/hub/api/users/ann').set(admin).send({ admin: true }).expect(200);
    assert.equal(res.body.admin, true);
    assert.equal((await request(h.server).get('/hub/api/users/ann').set(admin).expect(200)).body.admin, true);
    await request(h.server).get('/hub/api/users').set(me).expect(200);
    await request(h.server).patch('/hub/api/users/ann').set(admin).send({ admin: false }).expect(200);
    assert.equal((await request(h.server).get('/hub/api/users/ann').set(admin).expect(200)).body.admin, false);
    await request(h.server).get('/hub/api/users').set(me).expect(403);
    const types = (await readStream(h.t.pool, userStreamId('ann'))).map((e) => [e.type, (e.data as any).admin]);
    assert.deepEqual(types, [
      ['UserCreated', false],
      ['UserAdminChanged', true],
      ['UserAdminChanged', false],
    ]);
    // The same flag again changes nothing.
    await request(h.server).patch('/hub/api/users/ann').set(admin).send({ admin: false }).expect(200);
    assert.equal((await readStream(h.t.pool, userStreamId('ann'))).length, 3);
    await h.projected();
    const rebuilt = await rebuildReadModels(h.t.db);
    assert.deepEqual(rebuilt.differences, []);
  });

  it('PATCH refuses a rename, unknown fields and a non-admin caller, changing nothing', async () => {
    const rename = await request(h.server).patch('/hub/api/users/ben').set(admin).send({ name: 'benny' }).expect(400);
    assert.match(rename.body.message, /Renaming users is not supported/);
    await request(h.server).patch('/hub/api/users/ben').set(admin).send({ name: 'ben', admin: false }).expect(200);
    await request(h.server).patch('/hub/api/users/ben').set(admin).send({ shell: '/bin/sh' }).expect(400);
    await request(h.server).patch('/hub/api/users/ben').set(admin).send({ admin: 'yes' }).expect(400);
    await request(h.server).patch('/hub/api/users/nobody').set(admin).send({ admin: true }).expect(404);
    const token = (await request(h.server).post('/hub/api/users/cat/tokens').set(admin).expect(201)).body.token;
    await request(h.server).patch('/hub/api/users/cat').set(admin).send({ admin: false }).expect(200);
    await request(h.server)
      .patch('/hub/api/users/cat')
      .set('Authorization', `token ${token}`)
      .send({ admin: true })
      .expect(403);
    assert.equal((await request(h.server).get('/hub/api/users/cat').set(admin).expect(200)).body.admin, false);
    await request(h.server).get('/hub/api/users/benny').set(admin).expect(404);
  });
});

describe('GET /users: pagination, state filters, stopped servers', () => {
  it('answers a bare list by default and the pagination envelope when asked, with an absolute next url', async () => {
    await h.projected();
    const all = (await request(h.server).get('/hub/api/users').set(admin).expect(200)).body;
    assert.ok(Array.isArray(all));
    const names = all.map((u: any) => u.name);
    const first = await request(h.server).get('/hub/api/users?limit=2').set(paginated).expect(200);
    assert.deepEqual(
      first.body.items.map((u: any) => u.name),
      names.slice(0, 2),
    );
    assert.deepEqual(
      { ...first.body._pagination, next: { ...first.body._pagination.next, url: undefined } },
      { offset: 0, limit: 2, total: names.length, next: { offset: 2, limit: 2, url: undefined } },
    );
    const next = new URL(first.body._pagination.next.url);
    assert.equal(next.pathname, '/hub/api/users');
    assert.equal(next.searchParams.get('offset'), '2');
    const second = await request(h.server)
      .get(next.pathname + next.search)
      .set(paginated)
      .expect(200);
    assert.deepEqual(
      second.body.items.map((u: any) => u.name),
      names.slice(2, 4),
    );
    const last = await request(h.server)
      .get(`/hub/api/users?offset=${names.length - 1}&limit=2`)
      .set(paginated)
      .expect(200);
    assert.equal(last.body._pagination.next, null);
    await request(h.server).get('/hub/api/users?limit=0').set(admin).expect(400);
    await request(h.server).get('/hub/api/users?offset=-1').set(admin).expect(400);
  });

  it('filters by state (ready, active, inactive) and shows stopped servers when asked', async () => {
    h.startScripts.set('ann', 'happy');
    h.startScripts.set('ben', 'pending');
    await request(h.server).post('/hub/api/users/ann/servers/lab').set(admin).expect(201);
    await request(h.server).post('/hub/api/users/ann/servers/old').set(admin).expect(201);
    await request(h.server).delete('/hub/api/users/ann/servers/old').set(admin).expect(204);
    await request(h.server).post('/hub/api/users/ben/server').set(admin).expect(202);
    const names = async (q: string) =>
      (await request(h.server).get(`/hub/api/users?${q}`).set(paginated).expect(200)).body.items.map(
        (u: any) => u.name,
      );
    assert.deepEqual(await names('state=ready'), ['ann']);
    assert.deepEqual(await names('state=active'), ['ann', 'ben']);
    assert.ok(!(await names('state=inactive')).includes('ann'));
    assert.ok((await names('state=inactive')).includes('cat'));
    await request(h.server).get('/hub/api/users?state=sleeping').set(admin).expect(400);

    const plain = (await request(h.server).get('/hub/api/users/ann').set(admin).expect(200)).body;
    assert.deepEqual(Object.keys(plain.servers), ['lab']);
    const withStopped = (
      await request(h.server).get('/hub/api/users/ann?include_stopped_servers').set(admin).expect(200)
    ).body;
    assert.deepEqual(Object.keys(withStopped.servers).sort(), ['lab', 'old']);
    assert.equal(withStopped.servers.old.stopped, true);
    assert.equal(withStopped.servers.lab.stopped, false);
    const listed = (
      await request(h.server).get('/hub/api/users?include_stopped_servers&state=ready').set(paginated).expect(200)
    ).body.items;
    assert.deepEqual(Object.keys(listed[0].servers).sort(), ['lab', 'old']);
    // Ready servers carry last_activity (at least their start) and started, as the culler reads them.
    assert.ok(plain.servers.lab.last_activity);
    assert.ok(plain.servers.lab.started);
  });
});

describe('read-your-writes while the read models are behind', () => {
  it('GET /users/<name> and GET /users show pending "spawn" right after the start, and ready right after the progress said so', async () => {
    await request(h.server).post('/hub/api/users/flo').set(admin).expect(201);
    await h.projected();
    await h.pauseProjection();
    try {
      h.startScripts.set('flo', 'happy-slow');
      await request(h.server).post('/hub/api/users/flo/server').set(admin).expect(202);
      const one = (await request(h.server).get('/hub/api/users/flo').set(admin).expect(200)).body;
      assert.equal(one.pending, 'spawn');
      assert.equal(one.servers[''].pending, 'spawn');
      const listed = (await request(h.server).get('/hub/api/users?state=active').set(admin).expect(200)).body;
      const flo = listed.find((u: any) => u.name === 'flo');
      assert.ok(flo, 'flo is active in the list');
      assert.equal(flo.servers[''].pending, 'spawn');

      const progress = await request(h.server)
        .get('/hub/api/users/flo/server/progress')
        .set(admin)
        .buffer(true)
        .parse(sseParser)
        .timeout(20_000);
      assert.equal(sseEvents(progress.body as string).at(-1).ready, true);
      const ready = (await request(h.server).get('/hub/api/users/flo').set(admin).expect(200)).body;
      assert.equal(ready.servers[''].ready, true);
      assert.equal(ready.servers[''].pending, null);
      assert.equal(ready.server, '/user/flo/');
      const readyList = (await request(h.server).get('/hub/api/users?state=ready').set(admin).expect(200)).body;
      assert.equal(readyList.find((u: any) => u.name === 'flo')?.servers['']?.ready, true);
    } finally {
      h.resumeProjection();
    }
    await h.settled();
    await h.projected();
  });

  it('GET /users lists users created, made admin and deleted a moment ago', async () => {
    await h.projected();
    await h.pauseProjection();
    try {
      await request(h.server)
        .post('/hub/api/users')
        .set(admin)
        .send({ usernames: ['gil', 'hal'] })
        .expect(201);
      await request(h.server).patch('/hub/api/users/gil').set(admin).send({ admin: true }).expect(200);
      await request(h.server).delete('/hub/api/users/cat').set(admin).expect(204);
      const list = (await request(h.server).get('/hub/api/users').set(admin).expect(200)).body;
      const byName = new Map(list.map((u: any) => [u.name, u]));
      assert.equal((byName.get('gil') as any)?.admin, true);
      assert.equal((byName.get('hal') as any)?.admin, false);
      assert.ok(!byName.has('cat'));
    } finally {
      h.resumeProjection();
    }
    await h.projected();
    const after = (await request(h.server).get('/hub/api/users').set(admin).expect(200)).body;
    assert.deepEqual(
      after.map((u: any) => [u.name, u.admin]).filter(([n]: [string]) => ['cat', 'gil', 'hal'].includes(n)),
      [
        ['gil', true],
        ['hal', false],
      ],
    );
  });
});
