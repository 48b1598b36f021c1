import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ADMIN_TOKEN, HubHarness } from '../testing/hub-harness';
import { type CullOptions, cullIdle } from '../testing/idle-culler';

// The external jupyterhub-idle-culler against the hub over real HTTP (testing/idle-culler.ts
// replays its requests and decisions).

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let url: string;

before(async () => {
  await h.start('hub_idle_culler');
  await new Promise<void>((resolve) => h.server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(h.server.address() as AddressInfo).port}/hub/api`;
});
after(() => h.stop());

describe('the external jupyterhub-idle-culler', () => {
  it('pages through ready and inactive users and stops idle servers (named ones with remove), sparing busy and pending ones', async () => {
    const users = ['alice', 'busy', 'carol', 'dora', 'ed', 'gone', 'pend'];
    const created = await request(h.server).post('/hub/api/users').set(admin).send({ usernames: users }).expect(201);
    assert.equal(created.body.length, users.length);
    let port = 42000;
    for (const u of users) {
      h.ports.set(u, port++);
      h.startScripts.set(u, u === 'pend' ? 'pending' : 'happy');
    }
    for (const u of ['alice', 'busy', 'dora', 'ed']) {
      await request(h.server).post(`/hub/api/users/${u}/server`).set(admin).expect(201);
    }
    await request(h.server).post('/hub/api/users/carol/servers/lab').set(admin).expect(201);
    await request(h.server).post('/hub/api/users/pend/server').set(admin).expect(202);

    // The culler runs 30 minutes from now with a 10-minute limit; busy's notebook reported
    // activity 25 minutes from now (the hub accepts up to an hour of clock skew).
    const now = Date.now() + 30 * 60_000;
    const recent = new Date(now - 5 * 60_000).toISOString();
    await request(h.server)
      .post('/hub/api/users/busy/activity')
      .set(admin)
      .send({ last_activity: recent, servers: { '': { last_activity: recent } } })
      .expect(200);

    const o: CullOptions = {
      now,
      inactiveLimitS: 600,
      cullUsers: true,
      removeNamedServers: true,
      cullAdminUsers: false,
      apiPageSize: 2,
      log: [],
      errors: [],
    };
    await cullIdle(url, ADMIN_TOKEN, o);
    assert.deepEqual(o.errors, []);

    // Pages were followed through the absolute next urls the hub gave.
    const readyPages = o.log.filter((l) => l.includes('state=ready'));
    assert.ok(readyPages.length >= 3, readyPages.join('\n'));
    assert.ok(readyPages.slice(1).every((l) => l.includes('offset=')));
    assert.ok(o.log.includes(`DELETE ${url}/users/carol/servers/lab`));
    for (const u of ['alice', 'dora', 'ed']) assert.ok(o.log.includes(`DELETE ${url}/users/${u}/server`), u);
    assert.ok(!o.log.some((l) => l.includes('/users/busy/server') || l.includes('/users/pend/server')));

    const stops = h.commands.filter((c) => c.verb === 'stop').map((c) => c.payload as any);
    assert.deepEqual(stops.map((s) => `${s.user}/${s.serverName}`).sort(), ['alice/', 'carol/lab', 'dora/', 'ed/']);
    const model = async (u: string) => (await request(h.server).get(`/hub/api/users/${u}`).set(admin)).body;
    assert.equal((await model('busy')).servers[''].ready, true);
    assert.equal((await model('pend')).servers[''].pending, 'spawn');
    // Idle users without servers left were deleted; the admin and the busy user were kept.
    for (const u of ['alice', 'carol', 'dora', 'ed', 'gone']) {
      await request(h.server).get(`/hub/api/users/${u}`).set(admin).expect(404);
    }
    await request(h.server).get('/hub/api/users/root').set(admin).expect(200);
    await request(h.server).get('/hub/api/users/busy').set(admin).expect(200);

    // A second pass finds nothing more to do.
    const again: CullOptions = { ...o, log: [], errors: [] };
    await cullIdle(url, ADMIN_TOKEN, again);
    assert.deepEqual(again.errors, []);
    assert.ok(!again.log.some((l) => l.startsWith('DELETE')), again.log.join('\n'));
  });
});
