import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { ADMIN_TOKEN, HubHarness } from '../../../testing/hub-harness';

// The REST API is held to the same site limits as the start form: over any of them the start
// is a 400 naming the limit, and the spawner is not even asked (nothing stored).
const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let token = '';
const asAlice = () => ({ Authorization: `token ${token}` });
const startCommands = () => h.commands.filter((c) => c.verb === 'start').length;

before(async () => {
  await h.start('hub_site_limits', {
    env: { CONDORHUB_MAX_CPUS: '4', CONDORHUB_MAX_MEMORY_MB: '8192', CONDORHUB_NAMED_SERVER_LIMIT: '1' },
  });
  await request(h.server).post('/hub/api/users/alice').set(admin).expect(201);
  token = (await request(h.server).post('/hub/api/users/alice/tokens').set(admin).expect(201)).body.token;
});
after(() => h.stop());

describe('REST API start: site limits', () => {
  const cases: [string, string, object, RegExp][] = [
    ['CPUs', 'server', { cpus: 5 }, /site limit is 4 CPUs/],
    ['CPUs inside user_options', 'server', { user_options: { cpus: 64 } }, /site limit is 4 CPUs/],
    ['memory', 'server', { memoryMb: 8193 }, /site limit is 8192 MB/],
    ['memory on a named server', 'servers/big', { memoryMb: 65536 }, /site limit is 8192 MB/],
  ];
  for (const [label, path, body, message] of cases) {
    it(`refuses ${label} over the limit with 400 naming it; nothing stored`, async () => {
      const before = startCommands();
      const res = await request(h.server).post(`/hub/api/users/alice/${path}`).set(asAlice()).send(body).expect(400);
      assert.match(res.body.message, message);
      assert.equal(startCommands(), before, 'the spawner was not asked');
      assert.deepEqual(await h.streamEvents('alice', path === 'server' ? '' : 'big'), []);
    });
  }

  it('refuses a named server over the named-server limit; the first one and the default server start', async () => {
    await request(h.server).post('/hub/api/users/alice/servers/one').set(asAlice()).send({ cpus: 4 }).expect(202);
    await h.projected();
    const before = startCommands();
    const res = await request(h.server).post('/hub/api/users/alice/servers/two').set(asAlice()).expect(400);
    assert.match(res.body.message, /site limit is 1 named servers per user/);
    assert.equal(startCommands(), before);
    assert.deepEqual(await h.streamEvents('alice', 'two'), []);
    // The default server does not count as a named one; a start of the running one is not refused.
    await request(h.server).post('/hub/api/users/alice/server').set(asAlice()).expect(202);
    await request(h.server).post('/hub/api/users/alice/servers/one').set(asAlice()).expect(202);
  });
});
