import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { newEvent, launcherStreamId, removalStreamId, serverStreamId } from '@condorhub/contracts';
import { appendToStream, readStream } from '@condorhub/event-store';
import { createReadModelsProcessor, openReadModels, readModelMigrations } from '@condorhub/read-models';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { run } from './main';

describe('condorhub CLI (real PostgreSQL)', () => {
  let t: TestDatabase;
  const spawnId = randomUUID();
  before(async () => {
    t = await createTestDatabase('cli', readModelMigrations);
    process.env.CONDORHUB_DATABASE_URL = t.db.url;
    process.env.CONDORHUB_DATABASE_SCHEMA = t.schema;
    await appendToStream(t.pool, serverStreamId('alice', ''), [
      newEvent('SpawnRequested', { spawnId, user: 'alice', serverName: '', options: {}, requestedBy: 'alice' }),
      newEvent('JobSubmitted', { spawnId, jobId: '41.0', submitHost: 'sim' }),
      newEvent('JobRunning', { spawnId, jobId: '41.0', host: '127.0.0.2', slot: 'slot1_1@127.0.0.2' }),
      newEvent('LauncherReported', {
        spawnId,
        stage: 'preflight',
        diagnosis: 'home-over-quota',
        message: 'Home directory /home/alice is full',
        exitCode: null,
        stderrTail: 'OSError: [Errno 28] No space left on device',
      }),
      newEvent('SpawnFailed', {
        spawnId,
        stage: 'start',
        diagnosis: 'home-over-quota',
        userMessage: 'Home directory /home/alice is full. Free some space.',
        stderrTail: 'OSError: [Errno 28] No space left on device',
      }),
    ]);
    const ds = await openReadModels(t.db);
    const p = createReadModelsProcessor({ pool: t.pool, db: t.db, dataSource: ds });
    p.start();
    await p.caughtUp();
    await p.stop();
    await ds.destroy();
  });
  after(async () => t?.drop());

  const capture = async (argv: string[]) => {
    let text = '';
    const code = await run(argv, (s) => (text += s));
    return { code, text };
  };

  it('explains a spawn step by step, with the diagnosis and stderr tail', async () => {
    const { code, text } = await capture(['explain', 'alice']);
    assert.equal(code, 0);
    assert.match(text, new RegExp(`spawn ${spawnId} of alice/`));
    assert.match(text, /JobRunning\s+starting\s+Running on 127\.0\.0\.2/);
    assert.match(text, /failed at stage start: home-over-quota/);
    assert.match(text, /No space left on device/);
  });

  it('prints events in log order, filtered', async () => {
    const { text } = await capture(['events', '--type', 'JobSubmitted']);
    assert.equal(text.trim().split('\n').length, 1);
    assert.match(text, /server-alice\/#2 JobSubmitted \{"jobId":"41\.0"/);
  });

  it('rebuilds the read models and finds no difference', async () => {
    const { code, text } = await capture(['rebuild']);
    assert.equal(code, 0, text);
    assert.match(text, /replayed 5 events/);
    assert.match(text, /no differences/);
  });

  it('force-removes a stuck server: the entry ends and the job is still removed', async () => {
    const { text } = await capture(['force-remove', 'alice']);
    assert.match(text, /alice\/: removed \(was stopping, job 41\.0 is being removed\)/);
    const types = (await readStream(t.pool, serverStreamId('alice', ''))).map((e) => e.type as string);
    assert.deepEqual(types.slice(-3), ['StopRequested', 'JobRemovalRequested', 'ServerStopped']);
    // explain names who asked (an operator here; `admin:<name>` from the admin page).
    assert.match((await capture(['explain', 'alice'])).text, /StopRequested .*Stop requested by operator:/);
    assert.match((await capture(['force-remove', 'alice'])).text, /not running/);
  });

  it('explains a stray job of the spawn removed later, without changing what happened to the server', async () => {
    await appendToStream(t.pool, removalStreamId(spawnId), [
      newEvent('StrayJobRemoved', { spawnId, jobId: '41.1', owner: 'alice', outcome: 'not-found', unnamedForS: 121.4 }),
    ]);
    const { text } = await capture(['explain', 'alice']);
    const lines = text.trim().split('\n');
    const at = lines.findIndex((l) => l.includes('StrayJobRemoved'));
    assert.match(lines[at], /StrayJobRemoved\s+\(removal\)\s+Stray job 41\.1 of this spawn was already gone/);
    // Last, and the server's phase and diagnosis are what they were.
    assert.match(lines[at + 1], /^phase stopped after/);
    assert.match(text, /failed at stage start: home-over-quota/);
    assert.match((await capture(['replay', 'alice'])).text, /StrayJobRemoved/);
  });

  it("explains how the spawn's launcher got its API token", async () => {
    await appendToStream(t.pool, launcherStreamId(spawnId), [
      newEvent('ApiTokenIssued', {
        spawnId,
        tokenId: 't1',
        launcherKeyHash: 'a'.repeat(64),
        remoteAddress: '127.0.0.3',
      }),
    ]);
    const { text } = await capture(['explain', 'alice']);
    assert.match(text, /ApiTokenIssued\s+\(launcher\)\s+The launcher \(127\.0\.0\.3\) traded its credential/);
  });

  it('refuses unknown commands and bad names with usage', async () => {
    assert.equal((await capture(['frobnicate'])).code, 2);
    await assert.rejects(capture(['explain', 'Bad Name']), /bad server/);
  });
});
