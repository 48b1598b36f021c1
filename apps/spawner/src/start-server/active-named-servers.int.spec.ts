import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStreamsAfter } from '@condorhub/event-store';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { ActiveNamedServers } from './active-named-servers';

const USER = 'named';
const requested = (spawnId: string, serverName: string) =>
  newEvent('SpawnRequested', { spawnId, user: USER, serverName, options: {}, requestedBy: USER });
const failed = (spawnId: string) =>
  newEvent('SpawnFailed', { spawnId, stage: 'submit', diagnosis: 'submit-rejected', userMessage: 'no' });
const stopped = (spawnId: string) => newEvent('ServerStopped', { spawnId, reason: 'spawn-failed' });

// The count a named start is decided on, kept up to date by reading only new events.
describe('active named servers (real PostgreSQL)', () => {
  let t: TestDatabase;
  before(async () => (t = await createTestDatabase('active_named')));
  after(async () => t.drop());

  it('counts the others, then follows stops and new servers from the new events alone', async () => {
    const kept = new ActiveNamedServers();
    const spawns = new Map<string, string>();
    for (const name of ['a', 'b', 'c']) {
      spawns.set(name, randomUUID());
      await appendToStream(t.pool, serverStreamId(USER, name), [requested(spawns.get(name)!, name)]);
    }
    // The default server and another user's named servers do not count.
    await appendToStream(t.pool, serverStreamId(USER, ''), [requested(randomUUID(), '')]);
    await appendToStream(t.pool, serverStreamId('other', 'x'), [
      newEvent('SpawnRequested', {
        spawnId: randomUUID(),
        user: 'other',
        serverName: 'x',
        options: {},
        requestedBy: 'other',
      }),
    ]);
    assert.equal(await kept.countOthers(t.pool, USER, 'a'), 2);
    assert.equal(await kept.countOthers(t.pool, USER, 'z'), 3);

    await appendToStream(t.pool, serverStreamId(USER, 'b'), [failed(spawns.get('b')!)]);
    assert.equal(await kept.countOthers(t.pool, USER, 'a'), 2, 'failed, still being stopped: active');
    await appendToStream(t.pool, serverStreamId(USER, 'b'), [stopped(spawns.get('b')!)]);
    await appendToStream(t.pool, serverStreamId(USER, 'd'), [requested(randomUUID(), 'd')]);
    assert.equal(await kept.countOthers(t.pool, USER, 'a'), 2, 'b stopped, d started');
    // The same from nothing kept.
    assert.equal(await new ActiveNamedServers().countOthers(t.pool, USER, 'a'), 2);
  });

  it('counts right on the count that finds its kept states full and forgets them', async () => {
    const user = 'forgetful';
    const kept = new ActiveNamedServers(3);
    const spawns = new Map<string, string>();
    for (const name of ['a', 'b', 'c']) {
      spawns.set(name, randomUUID());
      await appendToStream(t.pool, serverStreamId(user, name), [
        newEvent('SpawnRequested', {
          spawnId: spawns.get(name)!,
          user,
          serverName: name,
          options: {},
          requestedBy: user,
        }),
      ]);
    }
    assert.equal(await kept.countOthers(t.pool, user, 'z'), 3);
    // Three kept and one more read: past the limit, so this count forgets what it kept. The
    // streams with nothing new (a, c) and b's new event still fold onto what was known.
    await appendToStream(t.pool, serverStreamId(user, 'b'), [failed(spawns.get('b')!)]);
    assert.equal(await kept.countOthers(t.pool, user, 'z'), 3);
    // And the next count, from the one state kept, reads the rest again.
    assert.equal(await kept.countOthers(t.pool, user, 'z'), 3);
  });

  it('reads several streams after a version each in one query', async () => {
    const s1 = serverStreamId('reader', 'one');
    const s2 = serverStreamId('reader', 'two');
    await appendToStream(t.pool, s1, [requested(randomUUID(), 'one'), failed(randomUUID())]);
    await appendToStream(t.pool, s2, [requested(randomUUID(), 'two')]);
    const got = await readStreamsAfter(
      t.pool,
      new Map([
        [s1, 1],
        [s2, 0],
        [serverStreamId('reader', 'none'), 0],
      ]),
    );
    assert.deepEqual(
      [...got].map(([id, events]) => [id, events.map((e) => e.streamVersion)]),
      [
        [s1, [2]],
        [s2, [1]],
      ],
    );
    assert.equal((await readStreamsAfter(t.pool, new Map())).size, 0);
  });
});
