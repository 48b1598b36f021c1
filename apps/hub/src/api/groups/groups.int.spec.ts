import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { groupStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { rebuildReadModels } from '@condorhub/read-models';
import { foldGroup } from '../../store/groups';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let aliceToken: string;

before(async () => {
  await h.start('hub_groups');
  for (const name of ['alice', 'bob', 'carol'])
    await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
  aliceToken = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body.token;
});
after(() => h.stop());

const group = async (name: string) =>
  (await request(h.server).get(`/hub/api/groups/${name}`).set(admin).expect(200)).body;

describe('groups', () => {
  it('creates a group with members (201), 409 when it exists, 400 for unknown users or a bad name', async () => {
    const res = await request(h.server)
      .post('/hub/api/groups/physics')
      .set(admin)
      .send({ users: ['alice', 'bob'] })
      .expect(201);
    assert.deepEqual(res.body, { kind: 'group', name: 'physics', users: ['alice', 'bob'], roles: [], properties: {} });
    await request(h.server).post('/hub/api/groups/physics').set(admin).expect(409);
    const unknown = await request(h.server)
      .post('/hub/api/groups/chem')
      .set(admin)
      .send({ users: ['alice', 'nobody'] })
      .expect(400);
    assert.match(unknown.body.message, /No such users: nobody/);
    await request(h.server).get('/hub/api/groups/chem').set(admin).expect(404);
    await request(h.server).post('/hub/api/groups/bad%20name').set(admin).expect(400);
    await request(h.server).post('/hub/api/groups/chem').set(admin).send({ members: [] }).expect(400);
  });

  it('POST /groups creates several at once, all or none', async () => {
    const res = await request(h.server)
      .post('/hub/api/groups')
      .set(admin)
      .send({ groups: ['chem', 'bio'] })
      .expect(201);
    assert.deepEqual(
      res.body.map((g: any) => [g.name, g.users]),
      [
        ['chem', []],
        ['bio', []],
      ],
    );
    const taken = await request(h.server)
      .post('/hub/api/groups')
      .set(admin)
      .send({ groups: ['geo', 'bio'] })
      .expect(409);
    assert.match(taken.body.message, /bio already exists/);
    await request(h.server).get('/hub/api/groups/geo').set(admin).expect(404);
  });

  it('lists groups, paginated when asked', async () => {
    const list = (await request(h.server).get('/hub/api/groups').set(admin).expect(200)).body;
    assert.deepEqual(
      list.map((g: any) => g.name),
      ['bio', 'chem', 'physics'],
    );
    const page = (
      await request(h.server)
        .get('/hub/api/groups?limit=2')
        .set({ ...admin, Accept: 'application/jupyterhub-pagination+json' })
        .expect(200)
    ).body;
    assert.deepEqual(
      page.items.map((g: any) => g.name),
      ['bio', 'chem'],
    );
    assert.equal(page._pagination.total, 3);
    assert.equal(page._pagination.next.offset, 2);
  });

  it('adds and removes members; repeating a change records nothing; user models list their groups', async () => {
    let g = (
      await request(h.server)
        .post('/hub/api/groups/chem/users')
        .set(admin)
        .send({ users: ['carol', 'alice'] })
        .expect(200)
    ).body;
    assert.deepEqual(g.users, ['carol', 'alice']);
    await request(h.server)
      .post('/hub/api/groups/chem/users')
      .set(admin)
      .send({ users: ['carol'] })
      .expect(200);
    g = (
      await request(h.server)
        .delete('/hub/api/groups/chem/users')
        .set(admin)
        .send({ users: ['carol', 'bob'] })
        .expect(200)
    ).body;
    assert.deepEqual(g.users, ['alice']);
    const events = await readStream(h.t.pool, groupStreamId('chem'));
    assert.deepEqual(
      events.map((e) => [e.type, (e.data as any).users]),
      [
        ['GroupCreated', []],
        ['GroupMembersAdded', ['carol', 'alice']],
        ['GroupMembersRemoved', ['carol']],
      ],
    );
    // Replaying the stream gives the group the API shows.
    assert.deepEqual(foldGroup('chem', events).users, (await group('chem')).users);
    const alice = (await request(h.server).get('/hub/api/users/alice').set(admin).expect(200)).body;
    assert.deepEqual(alice.groups.sort(), ['chem', 'physics']);
    const self = (await request(h.server).get('/hub/api/user').set('Authorization', `token ${aliceToken}`)).body;
    assert.deepEqual(self.groups.sort(), ['chem', 'physics']);
    await request(h.server)
      .post('/hub/api/groups/chem/users')
      .set(admin)
      .send({ users: ['ghost'] })
      .expect(400);
    await request(h.server)
      .post('/hub/api/groups/none/users')
      .set(admin)
      .send({ users: ['alice'] })
      .expect(404);
    await request(h.server).post('/hub/api/groups/chem/users').set(admin).send({}).expect(400);
  });

  it('needs the group scopes: a plain user may neither create, list nor change groups', async () => {
    const alice = { Authorization: `token ${aliceToken}` };
    await request(h.server).get('/hub/api/groups').set(alice).expect(403);
    await request(h.server).get('/hub/api/groups/chem').set(alice).expect(403);
    await request(h.server).post('/hub/api/groups/mine').set(alice).expect(403);
    await request(h.server)
      .post('/hub/api/groups/chem/users')
      .set(alice)
      .send({ users: ['bob'] })
      .expect(403);
    await request(h.server).delete('/hub/api/groups/chem').set(alice).expect(403);
    assert.deepEqual((await group('chem')).users, ['alice']);
  });

  it('a group-filtered scope (!group=) grants on that group and its members only', async () => {
    await h.projected();
    const token = (
      await request(h.server)
        .post('/hub/api/users/root/tokens')
        .set(admin)
        .send({ scopes: ['read:users!group=chem', 'groups!group=chem'] })
        .expect(201)
    ).body.token;
    const scoped = { Authorization: `token ${token}` };
    // chem holds alice only.
    await request(h.server).get('/hub/api/users/alice').set(scoped).expect(200);
    await request(h.server).get('/hub/api/users/carol').set(scoped).expect(403);
    await request(h.server).get('/hub/api/groups/chem').set(scoped).expect(200);
    await request(h.server).get('/hub/api/groups/bio').set(scoped).expect(403);
    await request(h.server)
      .post('/hub/api/groups/chem/users')
      .set(scoped)
      .send({ users: ['carol'] })
      .expect(200);
    await request(h.server).get('/hub/api/users/carol').set(scoped).expect(200);
    await request(h.server)
      .post('/hub/api/groups/bio/users')
      .set(scoped)
      .send({ users: ['carol'] })
      .expect(403);
    await request(h.server).get('/hub/api/groups').set(scoped).expect(403);
    await request(h.server)
      .delete('/hub/api/groups/chem/users')
      .set(scoped)
      .send({ users: ['carol'] })
      .expect(200);
    await request(h.server).get('/hub/api/users/carol').set(scoped).expect(403);
  });

  it('deleting a user takes them out of their groups; deleting a group makes it 404 and its name free again', async () => {
    await request(h.server).delete('/hub/api/users/bob').set(admin).expect(204);
    assert.deepEqual((await group('physics')).users, ['alice']);
    await request(h.server).delete('/hub/api/groups/physics').set(admin).expect(204);
    await request(h.server).get('/hub/api/groups/physics').set(admin).expect(404);
    await request(h.server).delete('/hub/api/groups/physics').set(admin).expect(404);
    assert.deepEqual((await request(h.server).get('/hub/api/users/alice').set(admin)).body.groups, ['chem']);
    const again = await request(h.server).post('/hub/api/groups/physics').set(admin).expect(201);
    assert.deepEqual(again.body.users, []);
    await request(h.server).put('/hub/api/groups/chem/properties').set(admin).send({}).expect(501);
  });

  it('read models rebuilt from all events equal the live ones', async () => {
    await h.projected();
    assert.deepEqual((await rebuildReadModels(h.t.db)).differences, []);
  });
});
