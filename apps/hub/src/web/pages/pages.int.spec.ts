import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { ADMIN_TOKEN, HubHarness } from '../../testing/hub-harness';
import { TestBrowser, csrfOf } from '../testing/browser';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
let alice: TestBrowser;

before(async () => {
  await h.start('hub_pages', {
    env: {
      CONDORHUB_COOKIE_SECRET: 'cookie-secret-for-pages-tests-0123456789',
      CONDORHUB_MAX_CPUS: '4',
      CONDORHUB_MAX_MEMORY_MB: '8192',
      CONDORHUB_NAMED_SERVER_LIMIT: '1',
    },
  });
  alice = new TestBrowser(h.server);
  await alice.login('alice');
});
after(() => h.stop());

const startCount = () => h.commands.filter((c) => c.verb === 'start').length;

describe('home', () => {
  it('sends a browser without a session to the login page', async () => {
    const res = await new TestBrowser(h.server).get('/hub/home');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/hub/login?next=%2Fhub%2Fhome');
  });

  it('lists the default server before its first start, with the start form within site limits', async () => {
    const res = await alice.get('/hub/home');
    assert.equal(res.status, 200);
    assert.match(res.text, /Never started/);
    assert.match(res.text, /name="cpus"\s+min="1"\s+max="4"/);
    assert.doesNotMatch(res.text, /value="16384"/);
    assert.match(res.headers['content-security-policy'], /script-src 'self'/);
  });

  it('refuses a start without the CSRF token, or with resources over the limits; nothing starts', async () => {
    const before = startCount();
    assert.equal((await alice.post('/hub/spawn/alice', { cpus: '1' })).status, 403);
    const _xsrf = csrfOf((await alice.get('/hub/home')).text)!;
    const tooBig = await alice.post('/hub/spawn/alice', { _xsrf, cpus: '64', memory_mb: '1024' });
    assert.equal(tooBig.status, 400);
    assert.match(tooBig.text, /CPUs must be a whole number from 1 to 4/);
    const badName = await alice.post('/hub/spawn/alice', { _xsrf, server_name: '../x' });
    assert.equal(badName.status, 400);
    assert.match(badName.text, /not a valid server name/);
    assert.equal(startCount(), before);
  });

  it('starts, follows to the pending page, which opens the server once ready', async () => {
    h.startScripts.set('alice', 'happy');
    const _xsrf = csrfOf((await alice.get('/hub/home')).text)!;
    const res = await alice.post('/hub/spawn/alice', { _xsrf, cpus: '2', memory_mb: '4096' });
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/hub/spawn-pending/alice');
    const last = h.commands.filter((c) => c.verb === 'start').pop()!.payload as any;
    assert.deepEqual(last.options, { cpus: 2, memoryMb: 4096 });
    const pending = await alice.get('/hub/spawn-pending/alice');
    assert.equal(pending.status, 303);
    assert.equal(pending.headers.location, '/user/alice/');
    const home = await alice.get('/hub/home');
    assert.match(home.text, /Running/);
    assert.match(home.text, /41000\.0/);
    assert.match(home.text, /127\.0\.0\.2/);
    assert.match(home.text, /2 CPUs, 4 GB/);
    assert.match(home.text, /href="\/user\/alice\/">Open/);
  });

  it('keeps named servers to the site limit', async () => {
    h.startScripts.set('alice', 'pending');
    const _xsrf = csrfOf((await alice.get('/hub/home')).text)!;
    const first = await alice.post('/hub/spawn/alice', { _xsrf, server_name: 'gpu' });
    assert.equal(first.headers.location, '/hub/spawn-pending/alice/gpu');
    const page = await alice.get('/hub/spawn-pending/alice/gpu');
    assert.equal(page.status, 200);
    assert.match(page.text, /data-progress-url="\/hub\/api\/users\/alice\/servers\/gpu\/progress"/);
    const second = await alice.post('/hub/spawn/alice', { _xsrf, server_name: 'big' });
    assert.equal(second.status, 400);
    assert.match(second.text, /limit is 1/);
    await alice.post('/hub/stop/alice/gpu', { _xsrf });
  });

  it('stops, and home shows it stopped', async () => {
    const _xsrf = csrfOf((await alice.get('/hub/home')).text)!;
    const res = await alice.post('/hub/stop/alice', { _xsrf, next: '/hub/home' });
    assert.equal(res.status, 303);
    const home = await alice.get('/hub/home');
    assert.match(home.text, /data-server=""[^]*?Stopped/);
  });

  it('says why the idle culler stopped a server', async () => {
    const erin = new TestBrowser(h.server);
    await erin.login('erin');
    h.startScripts.set('erin', 'happy');
    const _xsrf = csrfOf((await erin.get('/hub/home')).text)!;
    await erin.post('/hub/spawn/erin', { _xsrf });
    const [requested] = await h.streamEvents('erin');
    const spawnId = (requested.data as any).spawnId;
    // What the spawner's culler and the removal saga append (apps/spawner/src/cull-idle).
    await appendToStream(h.t.pool, serverStreamId('erin', ''), [
      newEvent('ServerCulled', { spawnId, reason: 'idle', idleS: 3600 }),
      newEvent('StopRequested', { spawnId, by: 'culler', reason: 'idle for 60 min' }),
      newEvent('ServerStopped', { spawnId, reason: 'idle for 60 min' }),
    ]);
    const home = await erin.get('/hub/home');
    assert.match(home.text, /data-server=""[^]*?Stopped by the idle culler after 60 min without activity/);
    const spawnPage = await erin.get('/hub/spawn/erin');
    assert.match(spawnPage.text, /not running[^]*?Stopped by the idle culler after 60 min without activity/);
    const pendingPage = await erin.get('/hub/spawn-pending/erin');
    assert.match(pendingPage.text, /not running[^]*?Stopped by the idle culler after 60 min without activity/);
  });

  it('the spawn page explains a server that is not running and offers Start', async () => {
    const res = await alice.get('/hub/spawn/alice');
    assert.equal(res.status, 200);
    assert.match(res.text, /not running/);
    assert.match(res.text, /action="\/hub\/spawn\/alice"/);
  });
});

describe('failures and other users', () => {
  it('shows the diagnosis, what to do, the stderr tail and Try again', async () => {
    const carol = new TestBrowser(h.server);
    await carol.login('carol');
    h.startScripts.set('carol', 'fail-fast');
    const _xsrf = csrfOf((await carol.get('/hub/home')).text)!;
    await carol.post('/hub/spawn/carol', { _xsrf });
    const page = await carol.get('/hub/spawn-pending/carol');
    assert.equal(page.status, 200);
    assert.match(page.text, /Your home directory is full/);
    assert.match(page.text, /Disk quota exceeded/);
    assert.match(page.text, /Try again/);
    const timeline = await carol.get('/hub/timeline/carol');
    assert.equal(timeline.status, 200);
    assert.match(timeline.text, /<svg class="timeline-svg"/);
    assert.match(timeline.text, /LauncherReported/);
    assert.match(timeline.text, /Failed/);
  });

  it('another user sees neither the pages nor the timeline of alice’s server', async () => {
    const bob = new TestBrowser(h.server);
    await bob.login('bob');
    for (const path of ['/hub/spawn-pending/alice', '/hub/timeline/alice', '/hub/spawn/alice']) {
      const res = await bob.get(path);
      assert.equal(res.status, 403, path);
      assert.match(res.text, /belongs to alice/);
    }
    const _xsrf = csrfOf((await bob.get('/hub/home')).text)!;
    assert.equal((await bob.post('/hub/spawn/alice', { _xsrf })).status, 403);
    assert.equal((await bob.post('/hub/stop/alice', { _xsrf })).status, 403);
    assert.equal((await bob.get('/hub/admin')).status, 403);
  });
});

describe('admin', () => {
  it('lists active servers, nodes and failures by cause', async () => {
    h.startScripts.set('dave', 'happy');
    await request(h.server).post('/hub/api/users/dave').set(admin).expect(201);
    await request(h.server).post('/hub/api/users/dave/server').set(admin).expect(201);
    await h.projected();
    const root = new TestBrowser(h.server);
    await root.login('root');
    const res = await root.get('/hub/admin');
    assert.equal(res.status, 200);
    assert.match(res.text, /<td>dave<\/td>/);
    assert.match(res.text, /Your home directory is full/);
    assert.match(res.text, /action="\/hub\/stop\/dave"/);
    // Admins may look at anyone's timeline.
    assert.equal((await root.get('/hub/timeline/dave')).status, 200);
  });

  it('releasing a node needs the CSRF token, and a name', async () => {
    const root = new TestBrowser(h.server);
    await root.login('root');
    assert.equal((await root.post('/hub/admin/nodes/release', { host: '127.0.0.9' })).status, 403);
    const _xsrf = csrfOf((await root.get('/hub/admin')).text)!;
    assert.equal((await root.post('/hub/admin/nodes/release', { _xsrf })).status, 400);
  });
});

describe('assets', () => {
  it('serves the stylesheet and scripts, and nothing else', async () => {
    const css = await request(h.server).get('/hub/static/hub.css').expect(200);
    assert.match(css.headers['content-type'], /text\/css/);
    await request(h.server).get('/hub/static/pending.js').expect(200);
    await request(h.server).get('/hub/static/..%2Fpages.controller.ts').expect(404);
  });
});
