import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { newEvent, removalStreamId } from '@condorhub/contracts';
import { appendToStream } from '@condorhub/event-store';
import { ServerEvents } from '../../events/server-events';
import { ADMIN_TOKEN, HubHarness, sseEvents, sseParser } from '../../testing/hub-harness';
import { ProgressHandler } from '../progress/progress.handler';

const h = new HubHarness();
const admin = { Authorization: `token ${ADMIN_TOKEN}` };
const tokens: Record<string, string> = {};
const as = (user: string) => ({ Authorization: `token ${tokens[user]}` });

before(async () => {
  await h.start('hub_servers');
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina']) {
    await request(h.server).post(`/hub/api/users/${name}`).set(admin).expect(201);
    tokens[name] = (await request(h.server).post(`/hub/api/users/${name}/tokens`).set(admin).expect(201)).body.token;
  }
});
after(() => h.stop());

const progress = (user: string, path = 'server/progress') =>
  request(h.server).get(`/hub/api/users/${user}/${path}`).set(as(user)).buffer(true).parse(sseParser).timeout(20_000);

// What the real lifecycle tells the user for the launcher's report in the harness's failing spawn.
const FAILED_MESSAGE =
  'Spawn failed: Home directory full. Your home directory is full or over quota: free some space, then try again.';

describe('start and stop', () => {
  it('start answers 202 while pending and the user model shows it; a second start is 202 again', async () => {
    h.startScripts.set('alice', 'pending');
    const res = await request(h.server)
      .post('/hub/api/users/alice/server')
      .set(as('alice'))
      .send({ cpus: 2 })
      .expect(202);
    assert.equal(res.text, '');
    const model = (await request(h.server).get('/hub/api/users/alice').set(as('alice')).expect(200)).body;
    const server = model.servers[''];
    assert.equal(server.pending, 'spawn');
    assert.equal(server.ready, false);
    assert.equal(server.url, '/user/alice/');
    assert.equal(server.progress_url, '/hub/api/users/alice/server/progress');
    assert.deepEqual(server.user_options, { cpus: 2 });
    assert.equal(server.condorhub.phase, 'requested');
    assert.equal(model.pending, 'spawn');
    assert.equal(model.server, null);
    // JupyterHub: a start while the spawn is pending is 202 at once, no second spawn.
    await request(h.server).post('/hub/api/users/alice/server').set(as('alice')).expect(202);
    assert.equal((await h.streamEvents('alice')).filter((e) => e.type === 'SpawnRequested').length, 1);
  });

  it('stop answers 202 while stopping, then 204 once gone', async () => {
    const aliceStops = () => h.commands.filter((c) => c.verb === 'stop' && (c.payload as any).user === 'alice').length;
    const before = aliceStops();
    // A job to remove (without one, the lifecycle stops the server at once), whose removal hangs.
    await h.jobQueued('alice');
    h.stopScripts.set('alice', 'slow');
    await request(h.server).delete('/hub/api/users/alice/server').set(as('alice')).expect(202);
    const res = await request(h.server).post('/hub/api/users/alice/server').set(as('alice')).expect(400);
    assert.equal(res.body.message, 'alice is pending stop');
    await request(h.server).delete('/hub/api/users/alice/server').set(as('alice')).expect(202);
    // The second stop reaches the spawner, which drives a stuck removal again.
    assert.equal(aliceStops() - before, 2);
    h.stopScripts.set('alice', 'fast');
  });

  it('start answers 201 when the server is ready in time, then 400 "is already running"; stop is 204', async () => {
    h.startScripts.set('bob', 'happy');
    await request(h.server).post('/hub/api/users/bob/server').set(as('bob')).expect(201);
    const again = await request(h.server).post('/hub/api/users/bob/server').set(as('bob')).expect(400);
    assert.deepEqual(again.body, { status: 400, message: 'bob is already running' });
    const model = (await request(h.server).get('/hub/api/users/bob').set(as('bob')).expect(200)).body;
    assert.equal(model.server, '/user/bob/');
    assert.equal(model.servers[''].ready, true);
    assert.equal(model.servers[''].pending, null);
    assert.equal(model.servers[''].condorhub.host, '127.0.0.2');
    assert.equal(model.servers[''].condorhub.jobId, '41000.0');
    await request(h.server).delete('/hub/api/users/bob/server').set(as('bob')).expect(204);
    await request(h.server).delete('/hub/api/users/bob/server').set(as('bob')).expect(204);
    const after = (await request(h.server).get('/hub/api/users/bob').set(as('bob')).expect(200)).body;
    assert.deepEqual(after.servers, {});
  });

  it('named servers: start, 400 on a second start once ready, 404 for unknown ones', async () => {
    h.startScripts.set('carol', 'happy');
    await request(h.server).post('/hub/api/users/carol/servers/gpu').set(as('carol')).expect(201);
    const again = await request(h.server).post('/hub/api/users/carol/servers/gpu').set(as('carol')).expect(400);
    assert.equal(again.body.message, 'carol:gpu is already running');
    const model = (await request(h.server).get('/hub/api/users/carol').set(as('carol')).expect(200)).body;
    assert.equal(model.servers.gpu.url, '/user/carol/gpu/');
    assert.equal(model.servers.gpu.progress_url, '/hub/api/users/carol/servers/gpu/progress');
    await request(h.server).delete('/hub/api/users/carol/servers/nope').set(as('carol')).expect(404);
    await request(h.server).get('/hub/api/users/carol/servers/nope/progress').set(as('carol')).expect(404);
    await request(h.server).delete('/hub/api/users/carol/servers/gpu').set(as('carol')).expect(204);
    await request(h.server).post('/hub/api/users/carol/servers/bad%20name').set(as('carol')).expect(400);
  });

  it('unknown users are 404 for start, stop and progress', async () => {
    await request(h.server).post('/hub/api/users/nobody/server').set(admin).expect(404);
    await request(h.server).delete('/hub/api/users/nobody/server').set(admin).expect(404);
    await request(h.server).get('/hub/api/users/nobody/server/progress').set(admin).expect(404);
  });

  it('bad options are 400 and nothing is appended or sent', async () => {
    const before = h.commands.length;
    for (const body of [{ cpus: 0 }, { cpus: 'two' }, { gpus: 1 }, { memoryMb: 1.5 }, [1], { user_options: 3 }]) {
      const res = await request(h.server).post('/hub/api/users/dave/server').set(as('dave')).send(body).expect(400);
      assert.equal(res.body.status, 400);
      assert.ok(res.body.message.length > 0);
    }
    await request(h.server)
      .post('/hub/api/users/dave/server')
      .set(as('dave'))
      .set('Content-Type', 'application/json')
      .send('{"cpus": ')
      .expect(400);
    assert.equal(h.commands.length, before);
    assert.equal((await h.streamEvents('dave')).length, 0);
  });

  it('accepts JupyterHub 6 style {user_options: …}', async () => {
    h.startScripts.set('dave', 'pending');
    await request(h.server)
      .post('/hub/api/users/dave/server')
      .set(as('dave'))
      .send({ user_options: { memoryMb: 2048 } })
      .expect(202);
    const [first] = await h.streamEvents('dave');
    assert.deepEqual((first.data as any).options, { memoryMb: 2048 });
  });

  it('a spawn that fails before the answer is a 500 with the reason, as in JupyterHub', async () => {
    h.startScripts.set('gina', 'fail-fast');
    const res = await request(h.server).post('/hub/api/users/gina/server').set(as('gina')).expect(500);
    assert.equal(res.body.message, FAILED_MESSAGE);
  });

  it('a spawner that does not answer is a 503, not a hang', async () => {
    h.startScripts.set('gina', 'reject-unavailable');
    const res = await request(h.server).post('/hub/api/users/gina/server').set(as('gina')).expect(503);
    assert.match(res.body.message, /spawner/);
  });
});

describe('progress (Server-Sent Events)', () => {
  it('streams every stage live and ends with ready; a late reader gets the replay', async () => {
    h.startScripts.set('erin', 'happy-slow');
    await request(h.server).post('/hub/api/users/erin/server').set(as('erin')).expect(202);
    const live = await progress('erin').expect(200);
    assert.match(String(live.headers['content-type']), /^text\/event-stream/);
    assert.equal(live.headers['cache-control'], 'no-cache');
    const events = sseEvents(live.body);
    assert.deepEqual(
      events.map((e) => e.message),
      [
        'Server requested',
        'Submitted as job 41000.0',
        events[2].message,
        'Running on 127.0.0.2 (slot1@127.0.0.2)',
        'Notebook reported port 41000',
        'Notebook answers (version 2.14.0)',
        'Route added in the proxy',
        'Server ready at /user/erin/',
      ],
    );
    assert.match(events[2].message, /^Waiting in the queue \(job 41000\.0/);
    assert.deepEqual(
      events.map((e) => e.progress),
      [5, 15, 25, 50, 70, 85, 95, 100],
    );
    assert.deepEqual(events.at(-1), {
      progress: 100,
      ready: true,
      message: 'Server ready at /user/erin/',
      html_message: 'Server ready at <a href="/user/erin/">/user/erin/</a>',
      url: '/user/erin/',
    });
    // Every event is exactly `data: <json>` followed by a blank line.
    for (const block of live.body.split('\n\n').filter(Boolean)) assert.match(block, /^(data: \{.*\}|: keepalive)$/);

    const late = await progress('erin').expect(200);
    assert.deepEqual(sseEvents(late.body), events);
  });

  it('ends with failed and the user message when the spawn fails', async () => {
    h.startScripts.set('frank', 'fail');
    await request(h.server).post('/hub/api/users/frank/server').set(as('frank')).expect(202);
    const res = await progress('frank').expect(200);
    const events = sseEvents(res.body);
    const last = events.at(-1);
    assert.equal(last.failed, true);
    assert.equal(last.progress, 100);
    assert.equal(last.message, FAILED_MESSAGE);
    assert.equal(last.condorhub.diagnosis, 'home-over-quota');
    assert.match(last.condorhub.stderrTail, /Disk quota exceeded/);
    assert.equal(events.filter((e) => e.failed).length, 1);
    // The failure stays readable for a late reader, and the timeline tells the whole story.
    await h.settled();
    assert.deepEqual(sseEvents((await progress('frank').expect(200)).body), events);
    const timeline = (
      await request(h.server).get('/hub/api/condorhub/users/frank/server/timeline').set(as('frank')).expect(200)
    ).body;
    assert.deepEqual(
      timeline.events.map((e: any) => e.type),
      [
        'SpawnRequested',
        'JobSubmitted',
        'JobRunning',
        'LauncherReported',
        'SpawnFailed',
        'JobRemovalRequested',
        'ServerStopped',
      ],
    );
    assert.equal(timeline.events[0].sincePreviousMs, 0);
    assert.ok(timeline.events.every((e: any) => e.sincePreviousMs >= 0));
    // A stray job of this spawn removed later (its own stream) is part of the story, in log order.
    await appendToStream(h.t.pool, removalStreamId(timeline.spawnId), [
      newEvent('StrayJobRemoved', {
        spawnId: timeline.spawnId,
        jobId: '78.0',
        owner: 'frank',
        outcome: 'marked',
        unnamedForS: 130,
      }),
    ]);
    const later = (
      await request(h.server).get('/hub/api/condorhub/users/frank/server/timeline').set(as('frank')).expect(200)
    ).body;
    const stray = later.events.at(-1);
    assert.equal(later.events.length, timeline.events.length + 1);
    assert.deepEqual([stray.type, stray.stream], ['StrayJobRemoved', removalStreamId(timeline.spawnId)]);
    assert.match(stray.message, /Stray job 78\.0 of this spawn removed \(no live server named it for 130 s\)/);
  });

  it('refuses a stream for a server that is not starting (400) and other users (403)', async () => {
    const res = await progress('bob').expect(400);
    assert.match(res.body, /bob is not starting/);
    await request(h.server).get('/hub/api/users/erin/server/progress').set(as('bob')).expect(403);
    await request(h.server).get('/hub/api/users/erin/server/progress').expect(401);
  });

  it('sends keepalives while waiting and releases everything when the client goes away', async () => {
    h.startScripts.set('gina', 'pending');
    await request(h.server).post('/hub/api/users/gina/server').set(as('gina')).expect(202);
    const handler = h.app.get(ProgressHandler);
    const events = h.app.get(ServerEvents);
    await new Promise<void>((resolve) => h.server.listen(0, '127.0.0.1', resolve));
    const { port } = h.server.address() as AddressInfo;
    const text = await new Promise<string>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/hub/api/users/gina/server/progress', headers: as('gina') },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => {
            body += chunk;
            if (body.includes(': keepalive')) {
              req.destroy();
              resolve(body);
            }
          });
        },
      );
      req.on('error', (e) => (e.message.includes('socket hang up') ? undefined : reject(e)));
    });
    assert.deepEqual(sseEvents(text)[0], { progress: 5, message: 'Server requested' });
    for (let i = 0; i < 100 && (handler.open > 0 || events.waiting > 0); i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(handler.open, 0);
    assert.equal(events.waiting, 0);
  });
});

describe('condorhub additions', () => {
  it('nodes and failures are admin only; failures counts by diagnosis', async () => {
    await h.projected();
    await request(h.server).get('/hub/api/condorhub/nodes').set(as('frank')).expect(403);
    await request(h.server).get('/hub/api/condorhub/nodes').set(admin).expect(200);
    const res = await request(h.server).get('/hub/api/condorhub/failures').set(admin).expect(200);
    assert.equal(res.body.byDiagnosis['home-over-quota'], 2); // frank's and gina's
    assert.ok(res.body.spawns >= res.body.failed);
    await request(h.server).get('/hub/api/condorhub/failures?since=garbage').set(admin).expect(400);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await request(h.server).get(`/hub/api/condorhub/failures?since=${future}`).set(admin).expect(200);
    assert.deepEqual(none.body.byDiagnosis, {});
  });
});
