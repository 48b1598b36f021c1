import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CondorClient } from '@condorhub/condor';
import { launcherStreamId } from '@condorhub/contracts';
import { readStream } from '@condorhub/event-store';
import { readModelMigrations } from '@condorhub/read-models';
import { type ServerState, initialServerState } from '@condorhub/server-lifecycle';
import { type TestDatabase, createTestDatabase } from '@condorhub/testing';
import { tokenMigrations } from '@condorhub/tokens';
import { type CondorSim, ensureUser, startCondorSim } from '../../../../tools/condor-sim/harness';
import { spawnerMigrations } from '../migrations';
import type { SpawnerSettings } from '../spawner.settings';
import { submitSpawn } from './submit-spawn';

const USER = 'chsubmit';

describe('submitSpawn when the schedd is slow or gone', () => {
  let t: TestDatabase;
  let sim: CondorSim;
  const settings = {
    publicUrl: 'http://127.0.0.1:1',
    launcher: path.resolve(__dirname, '../../../launcher/condorhub_launcher.py'),
    notebookCommand: ['sleep', '600'],
    submitAttempts: 3,
    lifecycle: { idleTimeoutS: 300, portTimeoutS: 120, handshakeTimeoutS: 60 },
  } as SpawnerSettings;
  const stateFor = (spawnId: string): ServerState => ({
    ...initialServerState(),
    spawnId,
    user: USER,
    serverName: '',
    options: {},
  });
  const liveTokens = async (spawnId: string) =>
    (await t.pool.query(`SELECT 1 FROM api_tokens WHERE spawn_id = $1 AND revoked_at IS NULL`, [spawnId])).rowCount;
  const bootstraps = async (spawnId: string) =>
    (await readStream(t.pool, launcherStreamId(spawnId))).filter((e) => e.type === 'LauncherBootstrapIssued').length;

  before(async () => {
    ensureUser(USER);
    t = await createTestDatabase('submit', [...readModelMigrations, ...tokenMigrations, ...spawnerMigrations]);
    sim = startCondorSim({ hosts: 1, slots: 2, delayMs: 100 });
  });
  after(async () => {
    sim?.stop();
    await t?.drop();
  });

  it('a submit whose answer comes after the timeout is found by its spawn id, not submitted twice', async () => {
    const condor = new CondorClient({
      binDir: sim.binDir,
      env: sim.env,
      commandPrefix: 'runuser -u {user} --',
      timeouts: { condor_submit: 2_000 },
      instance: 'submit-it',
    });
    sim.fault('submit-slow', { seconds: 6, owner: USER, count: 1 });
    const spawnId = randomUUID();
    const event = await submitSpawn(t.pool, condor, settings, stateFor(spawnId));
    assert.equal(event.type, 'JobSubmitted', JSON.stringify(event.data));
    assert.equal((event.data as any).submitHost, 'recovered');
    const snap = await condor.query();
    assert.equal(snap.status, 'ok');
    const jobs = snap.status === 'ok' ? snap.jobs.filter((j) => j.spawnId === spawnId) : [];
    assert.equal(jobs.length, 1);
    assert.equal(jobs[0].jobId, (event.data as any).jobId);
    // The job got a launcher credential, not a token: the launcher exchanges it when it runs.
    assert.equal(await bootstraps(spawnId), 1);
    assert.equal(await liveTokens(spawnId), 0);
  });

  it('a schedd that never answers fails the spawn after the attempts, with no token left', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-condor-'));
    const condor = new CondorClient({ binDir: empty, timeoutMs: 2_000, instance: 'submit-it' });
    const spawnId = randomUUID();
    const event = await submitSpawn(t.pool, condor, settings, stateFor(spawnId));
    assert.equal(event.type, 'SpawnFailed');
    assert.equal((event.data as any).stage, 'submit');
    assert.equal((event.data as any).diagnosis, 'condor-unreachable');
    assert.equal(await liveTokens(spawnId), 0);
    fs.rmSync(empty, { recursive: true, force: true });
  });
});
