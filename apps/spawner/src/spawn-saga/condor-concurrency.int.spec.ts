import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sendCommand } from '@condorhub/messaging';
import { CONDOR_SIM_BIN, ensureUser } from '../../../../tools/condor-sim/harness';
import { type TestCondorhub, createTestCondorhub } from '../../../all-in-one/src/testing/test-condorhub';
import { bootstrapProjector } from '../../../projector/src/bootstrap';
import { bootstrapSpawner } from '../bootstrap';

const USER = 'chconc';
const SPAWNS = 6;

describe('the spawner runs at most CONDORHUB_CONDOR_CONCURRENCY condor calls at once', () => {
  let h: TestCondorhub;
  // A CONDORHUB_CONDOR_BIN whose condor_submit logs when each call starts and ends.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'chconc-bin-'));
  const logFile = path.join(bin, 'calls.log');

  before(async () => {
    ensureUser(USER);
    fs.chmodSync(bin, 0o755);
    fs.writeFileSync(logFile, '');
    fs.chmodSync(logFile, 0o666);
    for (const tool of ['condor_submit', 'condor_q', 'condor_rm', 'condor_history']) {
      const real = path.join(CONDOR_SIM_BIN, tool);
      const script =
        tool === 'condor_submit'
          ? `#!/bin/sh\necho start >> '${logFile}'\n'${real}' "$@"\nrc=$?\necho end >> '${logFile}'\nexit $rc\n`
          : `#!/bin/sh\nexec '${real}' "$@"\n`;
      fs.writeFileSync(path.join(bin, tool), script);
      fs.chmodSync(path.join(bin, tool), 0o755);
    }
    h = await createTestCondorhub({
      label: 'condor_concurrency',
      // Six named servers of one user: over the default named-server limit of 5.
      env: { CONDORHUB_CONDOR_BIN: bin, CONDORHUB_CONDOR_CONCURRENCY: '2', CONDORHUB_NAMED_SERVER_LIMIT: '10' },
      boot: async (config) => [await bootstrapProjector(config), await bootstrapSpawner(config)],
    });
  });
  after(async () => {
    await h?.close();
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it('six spawns requested together are submitted two at a time', async () => {
    // Each submit takes a second, so calls that may overlap do.
    h.sim.fault('submit-slow', { seconds: 1, owner: USER });
    for (let i = 0; i < SPAWNS; i++) {
      const r = await sendCommand(
        h.nats.nc,
        h.config.CONDORHUB_NATS_PREFIX,
        'spawner',
        'start',
        { user: USER, serverName: `s${i}`, by: USER },
        10_000,
      );
      assert.equal(r.accepted, true, JSON.stringify(r));
    }
    for (let i = 0; i < SPAWNS; i++) await h.waitForEvent(USER, `s${i}`, 'JobSubmitted', 60_000);
    let running = 0;
    let most = 0;
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean);
    for (const line of lines) {
      running += line === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    assert.equal(lines.filter((l) => l === 'start').length, SPAWNS, 'one condor_submit per spawn');
    assert.equal(most, 2, `at most two at once, and the two are used (log: ${lines.join(' ')})`);
  });
});
