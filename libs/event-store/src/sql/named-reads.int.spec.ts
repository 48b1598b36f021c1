import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { groupStreamId, newEvent, serverStreamId, userStreamId } from '@condorhub/contracts';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { BEGINNING, appendToStream, readStream } from '../index';
import { findEventVersion } from './find-event-version';
import { listCorrelatedStreams } from './list-correlated-streams';
import { listStreamVersions } from './list-stream-versions';
import { readTypesAfter } from './read-types-after';

const spawn = (user: string, serverName: string, spawnId = randomUUID()) =>
  newEvent('SpawnRequested', { spawnId, user, serverName, options: {}, requestedBy: user });

describe('named reads of the event store (real PostgreSQL)', () => {
  let t: TestDatabase;
  const first = randomUUID();
  const second = randomUUID();
  before(async () => {
    t = await createTestDatabase('named_reads');
    await appendToStream(t.pool, serverStreamId('a_b', ''), [spawn('a_b', '', first)], {
      metadata: { correlationId: first },
    });
    await appendToStream(t.pool, serverStreamId('a_b', ''), [spawn('a_b', '', second)], {
      metadata: { correlationId: second },
    });
    // `_` is a LIKE wildcard: a prefix of a_b must not find axb's streams.
    await appendToStream(t.pool, serverStreamId('axb', 'gpu'), [spawn('axb', 'gpu')]);
    await appendToStream(
      t.pool,
      userStreamId('a_b'),
      [newEvent('UserCreated', { name: 'a_b', admin: false, by: 'root' })],
      {
        metadata: { correlationId: first },
      },
    );
    await appendToStream(t.pool, groupStreamId('chem'), [
      newEvent('GroupCreated', { name: 'chem', users: [], by: 'root' }),
    ]);
  });
  after(async () => t?.drop());

  it('lists streams with their versions by category, by prefix, or both', async () => {
    const byName = (rows: { streamId: string; version: number }[]) =>
      Object.fromEntries(rows.map((r) => [r.streamId, r.version]));
    assert.deepEqual(byName(await listStreamVersions(t.pool, { category: 'server' })), {
      [serverStreamId('a_b', '')]: 2,
      [serverStreamId('axb', 'gpu')]: 1,
    });
    assert.deepEqual(byName(await listStreamVersions(t.pool, { prefix: serverStreamId('a_b', '') })), {
      [serverStreamId('a_b', '')]: 2,
    });
    assert.deepEqual(await listStreamVersions(t.pool, { category: 'group', prefix: 'server-' }), []);
  });

  it('reads the events of some types after a checkpoint, in log order', async () => {
    const all = await readTypesAfter(t.pool, BEGINNING, ['UserCreated', 'SpawnRequested']);
    assert.deepEqual(
      all.map((e) => e.type),
      ['SpawnRequested', 'SpawnRequested', 'SpawnRequested', 'UserCreated'],
    );
    assert.ok(all.every((e) => e.recordedAt instanceof Date));
    // The third append; read by stream, since the log's read horizon waits for other tests' transactions.
    const [third] = await readStream(t.pool, serverStreamId('axb', 'gpu'));
    const after = { transactionId: third.transactionId, globalPosition: third.globalPosition };
    assert.deepEqual(
      (await readTypesAfter(t.pool, after, ['UserCreated', 'GroupCreated'])).map((e) => e.data),
      [
        { name: 'a_b', admin: false, by: 'root' },
        { name: 'chem', users: [], by: 'root' },
      ],
    );
  });

  it("finds the version of a stream's first event of a type with a data field", async () => {
    const stream = serverStreamId('a_b', '');
    assert.equal(await findEventVersion(t.pool, stream, 'SpawnRequested', 'spawnId', first), 1);
    assert.equal(await findEventVersion(t.pool, stream, 'SpawnRequested', 'spawnId', second), 2);
    assert.equal(await findEventVersion(t.pool, stream, 'SpawnRequested', 'spawnId', randomUUID()), undefined);
    assert.equal(await findEventVersion(t.pool, stream, 'JobIdle', 'spawnId', first), undefined);
  });

  it('lists the streams of a prefix that hold an event of a correlation id', async () => {
    assert.deepEqual(await listCorrelatedStreams(t.pool, first, 'server-'), [serverStreamId('a_b', '')]);
    assert.deepEqual(await listCorrelatedStreams(t.pool, first, 'user-'), [userStreamId('a_b')]);
    assert.deepEqual(await listCorrelatedStreams(t.pool, randomUUID(), 'server-'), []);
  });
});
