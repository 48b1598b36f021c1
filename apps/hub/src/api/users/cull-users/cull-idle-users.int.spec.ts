import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { userStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { ADMIN_TOKEN, HubHarness } from '../../../testing/hub-harness';
import { CullIdleUsers } from './cull-idle-users';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
const HOUR = 3600_000;

before(async () => {
  // The limit is an hour and the timer never fires in the test: each pass is run by hand, an
  // hour and a half ahead.
  await h.start('hub_cull_users', {
    env: { CONDORHUB_CULL_USERS: 'true', CONDORHUB_CULL_IDLE_S: '3600', CONDORHUB_CULL_EVERY_S: '3600' },
  });
});
after(() => h.stop());

describe('the user culler (CONDORHUB_CULL_USERS)', () => {
  it('deletes users idle past the limit with no server; never an admin, a user with a server, or a recently active one', async () => {
    for (const name of ['oldie', 'boss', 'busy', 'lively']) {
      await request(h.server)
        .post(`/hub/api/users/${name}`)
        .set(admin)
        .send(name === 'boss' ? { admin: true } : {})
        .expect(201);
    }
    h.startScripts.set('busy', 'happy');
    await request(h.server).post('/hub/api/users/busy/server').set(admin).expect(201);
    // Activity 58 minutes ahead: 32 minutes before the pass, inside the limit.
    await request(h.server)
      .post('/hub/api/users/lively/activity')
      .set(admin)
      .send({ last_activity: new Date(Date.now() + 58 * 60_000).toISOString() })
      .expect(200);

    const culler = h.app.get(CullIdleUsers);
    const later = () => new Date(Date.now() + 1.5 * HOUR);
    assert.deepEqual(await culler.pass(later), ['oldie']);
    const deleted = (await readStream(h.t.pool, userStreamId('oldie'))).at(-1)!;
    assert.equal(deleted.type, 'UserDeleted');
    assert.deepEqual(deleted.data, { name: 'oldie', by: 'culler' });
    await request(h.server).get('/hub/api/users/oldie').set(admin).expect(404);
    for (const name of ['boss', 'busy', 'lively'])
      await request(h.server).get(`/hub/api/users/${name}`).set(admin).expect(200);
    // Idempotent: the next pass finds nothing more to delete.
    assert.deepEqual(await culler.pass(later), []);
  });
});
