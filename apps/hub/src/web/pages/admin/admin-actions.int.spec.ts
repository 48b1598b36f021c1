import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adminStreamId, newEvent, nodeStreamId, serverStreamId, userStreamId } from '@condorhub/contracts';
import { appendToStream, listDeadLetters, readStream, recordDeadLetter } from '@condorhub/event-store';
import { HubHarness } from '../../../testing/hub-harness';
import { TestBrowser, csrfOf } from '../../testing/browser';

const h = new HubHarness();
let root: TestBrowser;
let alice: TestBrowser;
let rootCsrf: string;
let aliceCsrf: string;

before(async () => {
  await h.start('hub_admin_actions', { env: { CONDORHUB_COOKIE_SECRET: 'cookie-secret-for-admin-tests-0123456789' } });
  root = new TestBrowser(h.server);
  await root.login('root');
  alice = new TestBrowser(h.server);
  await alice.login('alice');
  rootCsrf = csrfOf((await root.get('/hub/admin')).text)!;
  aliceCsrf = csrfOf((await alice.get('/hub/home')).text)!;
});
after(() => h.stop());

const audit = async () => (await readStream(h.t.pool, adminStreamId('root'))).map((e) => e.data as any);
const userExists = async (name: string) => {
  const events = await readStream(h.t.pool, userStreamId(name));
  return events.length > 0 && events[events.length - 1].type !== 'UserDeleted';
};

/** Every form of the admin page, with a valid body, for the refusal tests. */
const FORMS: [string, Record<string, string>][] = [
  ['/hub/admin/users', { names: 'refused1' }],
  ['/hub/admin/users/delete', { name: 'alice' }],
  ['/hub/admin/servers/force-remove', { user: 'alice', server: '' }],
  ['/hub/admin/dead-letters/replay', { all: '1' }],
  ['/hub/admin/nodes/release', { host: '127.0.0.77' }],
];

async function quarantine(host: string) {
  await appendToStream(h.t.pool, nodeStreamId(host), [
    newEvent('NodeStrikeRecorded', {
      host,
      spawnId: crypto.randomUUID(),
      user: 'x',
      reason: 'launcher never reported',
    }),
    newEvent('NodeQuarantined', { host, reason: '3 strikes', strikes: 3 }),
  ]);
}

describe('admin page actions: refusals change nothing', () => {
  it('refuses every form without the CSRF token, or with a wrong one, with a 403 page', async () => {
    const before = (await audit()).length;
    for (const [path, body] of FORMS) {
      const missing = await root.post(path, body);
      assert.equal(missing.status, 403, path);
      assert.match(missing.text, /form had expired/, path);
      assert.equal((await root.post(path, { ...body, _xsrf: 'wrong' })).status, 403, path);
    }
    assert.equal(await userExists('refused1'), false);
    assert.equal((await audit()).length, before);
    assert.equal(h.commands.filter((c) => c.verb === 'releaseNode').length, 0, 'no release was asked of the spawner');
  });

  it('refuses every form to a user who is not an admin, with a 403 page', async () => {
    for (const [path, body] of FORMS) {
      const res = await alice.post(path, { ...body, _xsrf: aliceCsrf });
      assert.equal(res.status, 403, path);
      assert.match(res.text, /for the hub’s admins/, path);
    }
    assert.equal(await userExists('refused1'), false);
    assert.equal((await audit()).length, 0);
  });
});

describe('users', () => {
  it('refuses bad names, all of them, and adds nothing', async () => {
    const res = await root.post('/hub/admin/users', { _xsrf: rootCsrf, names: 'good1 Bad/Name' });
    assert.equal(res.status, 400);
    assert.match(res.text, /Not valid user names: Bad\/Name/);
    assert.equal(await userExists('good1'), false);
    assert.equal((await root.post('/hub/admin/users', { _xsrf: rootCsrf, names: '  ' })).status, 400);
  });

  it('adds several users at once, audited, and lists them', async () => {
    const res = await root.post('/hub/admin/users', { _xsrf: rootCsrf, names: 'carol\ndan, erin' });
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /^\/hub\/admin\?done=added&what=carol%2C%20dan%2C%20erin/);
    for (const n of ['carol', 'dan', 'erin']) assert.equal(await userExists(n), true, n);
    const created = (await readStream(h.t.pool, userStreamId('carol')))[0];
    assert.equal((created.data as any).by, 'admin:root');
    assert.deepEqual((await audit()).at(-1), { admin: 'root', action: 'users-added', target: 'carol, dan, erin' });
    const page = await root.get(res.headers.location);
    assert.match(page.text, /Added carol, dan, erin\./);
    assert.match(page.text, /data-user="dan"/);
    assert.match(page.text, /id="admin-actions"[^]*?root[^]*?added users[^]*?carol, dan, erin/);
    // All of them there already: 409, nothing recorded.
    const again = await root.post('/hub/admin/users', { _xsrf: rootCsrf, names: 'carol dan' });
    assert.equal(again.status, 409);
    assert.equal((await audit()).filter((a) => a.action === 'users-added').length, 1);
  });

  it('refuses deleting yourself, or someone who does not exist', async () => {
    const self = await root.post('/hub/admin/users/delete', { _xsrf: rootCsrf, name: 'root' });
    assert.equal(self.status, 400);
    assert.match(self.text, /cannot delete yourself/);
    assert.equal((await root.post('/hub/admin/users/delete', { _xsrf: rootCsrf, name: 'nobody' })).status, 404);
    assert.equal((await root.post('/hub/admin/users/delete', { _xsrf: rootCsrf, name: '../x' })).status, 400);
    assert.equal((await audit()).filter((a) => a.action === 'user-deleted').length, 0);
  });

  it('deletes a user, stopping their running server first, audited', async () => {
    h.startScripts.set('dan', 'happy');
    const dan = new TestBrowser(h.server);
    await dan.login('dan');
    await dan.post('/hub/spawn/dan', { _xsrf: csrfOf((await dan.get('/hub/home')).text)! });
    const res = await root.post('/hub/admin/users/delete', { _xsrf: rootCsrf, name: 'dan' });
    assert.equal(res.status, 303);
    assert.equal(await userExists('dan'), false);
    const server = await readStream(h.t.pool, serverStreamId('dan', ''));
    assert.ok(server.some((e) => e.type === 'StopRequested' && (e.data as any).by === 'admin:root'));
    assert.deepEqual((await audit()).at(-1), {
      admin: 'root',
      action: 'user-deleted',
      target: 'dan',
      detail: 'servers stopped: default',
    });
  });
});

describe('force-remove', () => {
  it('refuses a bad name, or a server that is not running, and changes nothing', async () => {
    assert.equal((await root.post('/hub/admin/servers/force-remove', { _xsrf: rootCsrf, user: 'A B' })).status, 400);
    const notRunning = await root.post('/hub/admin/servers/force-remove', {
      _xsrf: rootCsrf,
      user: 'erin',
      server: '',
    });
    assert.equal(notRunning.status, 409);
    assert.match(notRunning.text, /erin\/ is not running/);
    assert.equal((await readStream(h.t.pool, serverStreamId('erin', ''))).length, 0);
  });

  it('ends a server whose stop is stuck, through the CLI’s decision, audited and on its timeline', async () => {
    h.startScripts.set('erin', 'happy');
    h.stopScripts.set('erin', 'slow');
    const erin = new TestBrowser(h.server);
    await erin.login('erin');
    const erinCsrf = csrfOf((await erin.get('/hub/home')).text)!;
    await erin.post('/hub/spawn/erin', { _xsrf: erinCsrf });
    await erin.post('/hub/stop/erin', { _xsrf: erinCsrf });
    const stuck = await readStream(h.t.pool, serverStreamId('erin', ''));
    // The lifecycle answers the stop with the job's removal, which the slow stand-in never finishes.
    const types = stuck.map((e) => e.type);
    assert.ok(types.includes('StopRequested') && !types.includes('ServerStopped'), 'the stop is stuck');
    const page = await root.get('/hub/admin');
    assert.match(page.text, /action="\/hub\/admin\/servers\/force-remove"[^]*?name="user" value="erin"/);

    const res = await root.post('/hub/admin/servers/force-remove', { _xsrf: rootCsrf, user: 'erin', server: '' });
    assert.equal(res.status, 303);
    const after = (await readStream(h.t.pool, serverStreamId('erin', ''))).slice(stuck.length);
    assert.deepEqual(
      after.map((e) => e.type),
      ['StopRequested', 'JobRemovalRequested', 'ServerStopped'],
    );
    assert.equal((after[2].data as any).reason, 'force-removed by admin:root');
    assert.equal(after[2].metadata.actor, 'admin:root');
    const entry = (await audit()).at(-1);
    assert.equal(entry.action, 'server-force-removed');
    assert.equal(entry.target, 'erin/');
    assert.match(entry.detail, /was stopping/);
    const timeline = await root.get('/hub/timeline/erin');
    assert.match(timeline.text, /admin:root/);
  });
});

describe('dead letters', () => {
  it('lists them; refuses a bad or unknown id; replays one, audited', async () => {
    await recordDeadLetter(h.t.pool, {
      consumer: 'spawner-saga',
      subject: `${h.n.prefix}.events.server.JobSubmitted`,
      streamSequence: 4242,
      eventType: 'JobSubmitted',
      streamId: 'server-zed/',
      reason: 'TypeError: boom in the saga',
      payload: '{}',
    });
    const [letter] = await listDeadLetters(h.t.pool);
    const page = await root.get('/hub/admin');
    assert.match(page.text, new RegExp(`data-dead-letter="${letter.id}"[^]*?spawner-saga[^]*?boom in the saga`));

    const bodies: Record<string, string>[] = [{ id: 'abc' }, { id: '999999' }, {}, { id: letter.id, all: '1' }];
    for (const body of bodies) {
      const res = await root.post('/hub/admin/dead-letters/replay', { _xsrf: rootCsrf, ...body });
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await listDeadLetters(h.t.pool))[0].replays, 0);

    const res = await root.post('/hub/admin/dead-letters/replay', { _xsrf: rootCsrf, id: letter.id });
    assert.equal(res.status, 303);
    assert.match(res.headers.location, /done=replayed&what=1/);
    assert.equal((await listDeadLetters(h.t.pool))[0].replays, 1);
    assert.deepEqual((await audit()).at(-1), {
      admin: 'root',
      action: 'dead-letters-replayed',
      target: `#${letter.id}`,
      detail: 'spawner-saga',
    });
    // Nothing left to replay: said so, nothing recorded.
    const before = (await audit()).length;
    const all = await root.post('/hub/admin/dead-letters/replay', { _xsrf: rootCsrf, all: '1' });
    assert.match(all.headers.location, /done=nothing-replayed/);
    assert.equal((await audit()).length, before);
  });
});

describe('quarantined nodes', () => {
  it('shows strikes with their evidence; refuses a node that is not quarantined; releases, audited', async () => {
    await quarantine('127.0.0.66');
    await h.projected();
    const page = await root.get('/hub/admin');
    assert.match(page.text, /data-host="127\.0\.0\.66"[^]*?Quarantined[^]*?launcher never reported[^]*?3 strikes/);

    const before = (await audit()).length;
    const healthy = await root.post('/hub/admin/nodes/release', { _xsrf: rootCsrf, host: '127.0.0.67' });
    assert.equal(healthy.status, 400);
    assert.match(healthy.text, /127\.0\.0\.67 is not quarantined/);
    assert.equal((await audit()).length, before);

    // The projector behind: the page the admin returns to still says released.
    await h.pauseProjection();
    const res = await root.post('/hub/admin/nodes/release', { _xsrf: rootCsrf, host: '127.0.0.66' });
    assert.equal(res.status, 303);
    const after = await root.get(res.headers.location);
    assert.match(after.text, /Released 127\.0\.0\.66\./);
    assert.match(after.text, /data-host="127\.0\.0\.66"[^]*?Healthy[^]*?released by admin:root/);
    h.resumeProjection();
    const node = await readStream(h.t.pool, nodeStreamId('127.0.0.66'));
    assert.deepEqual(node.at(-1)!.data, { host: '127.0.0.66', by: 'admin:root' });
    assert.deepEqual((await audit()).at(-1), { admin: 'root', action: 'node-released', target: '127.0.0.66' });
  });
});
