import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type CondorSim, CONDOR_SIM_BIN, startCondorSim, userDir, waitFor } from './harness';

// condor-sim in its own container (docker-compose.yml): worker hosts named by the operator
// instead of 127.0.0.x, owners created on first use, the daemon in the foreground with a ping.
// The daemon's own client (plain JS): a submit request as another container's tool sends it.
const { request } = createRequire(__filename)('./lib/client') as {
  request: (socket: string, payload: unknown, timeoutMs: number) => Promise<any>;
};
const CTL = path.join(CONDOR_SIM_BIN, 'condor-sim');
const NEW_OWNER = `chsimnew${process.pid % 100000}`;

function ctl(home: string, ...args: string[]) {
  return spawnSync(process.execPath, [CTL, ...args], {
    env: { ...process.env, CONDOR_SIM_HOME: home },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('condor-sim worker addresses, owner creation and the foreground daemon', () => {
  let sim: CondorSim;
  let outDir: string;
  before(() => {
    sim = startCondorSim({
      delayMs: 0,
      config: { workerAddresses: ['node-a.pool.test', 'node-b.pool.test'], createOwners: true },
    });
    outDir = userDir('chsimuser', os.tmpdir());
  });
  after(() => {
    sim?.stop();
    spawnSync('userdel', ['-r', NEW_OWNER], { timeout: 10_000 });
  });

  it('names the hosts, slots and machine ads after the configured addresses', async () => {
    const status = sim.status();
    assert.deepEqual(
      status.hosts.map((h: { host: string }) => h.host),
      ['node-a.pool.test', 'node-b.pool.test'],
    );
    const out = execCondor(sim, 'condor_status', ['-af', 'Name', 'Machine']);
    assert.match(out, /^slot1@node-a\.pool\.test node-a\.pool\.test$/m);
    assert.match(out, /^slot1@node-b\.pool\.test node-b\.pool\.test$/m);
  });

  it('runs a job of an owner the machine lacks as that owner, creating the account', async () => {
    assert.notEqual(spawnSync('id', ['-u', NEW_OWNER]).status, 0, 'the owner does not exist yet');
    const outFile = path.join(outDir, 'whoami.out');
    fs.chmodSync(outDir, 0o777);
    const script = path.join(outDir, 'job.sh');
    fs.writeFileSync(script, '#!/bin/sh\nid -un\ncat "$_CONDOR_MACHINE_AD"\n', { mode: 0o755 });
    // A submit from another container arrives with a name this machine has never seen.
    const res = await request(
      path.join(sim.home, 'schedd.sock'),
      {
        tool: 'condor_submit',
        argv: ['-terse'],
        cwd: outDir,
        uid: 4242,
        gid: 4242,
        user: NEW_OWNER,
        env: {},
        source: '(stdin)',
        stdin: `executable = ${script}\noutput = ${outFile}\nqueue\n`,
      },
      10_000,
    );
    assert.equal(res.exit, 0, res.stderr);
    const text = await waitFor('the job output', () => {
      const t = fs.existsSync(outFile) ? fs.readFileSync(outFile, 'utf8') : '';
      return t.includes('Machine') ? t : undefined;
    });
    assert.equal(text.split('\n')[0], NEW_OWNER);
    assert.match(text, /^Machine = "node-a\.pool\.test"$/m);
  });

  it('refuses invalid worker addresses with the reason, and starts nothing', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'condor-sim-bad-'));
    for (const bad of ['a,,b', 'a,a', 'bad name']) {
      const r = ctl(home, 'start', '--worker-addresses', bad);
      assert.equal(r.status, 1, `${bad}: ${r.stdout}`);
      assert.match(r.stderr, /worker address/);
      assert.equal(ctl(home, 'ping').status, 1);
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('run serves in the foreground until SIGTERM; ping answers while it does', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'condor-sim-run-'));
    fs.chmodSync(home, 0o755);
    assert.equal(ctl(home, 'ping').status, 1);
    const child = spawn(process.execPath, [CTL, 'run', '--worker-addresses', 'w1,w2', '--delay-ms', '0'], {
      env: { ...process.env, CONDOR_SIM_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    try {
      await waitFor('the daemon to answer', () => ctl(home, 'ping').status === 0, 20_000);
      // The line may reach this process's pipe a moment after the socket answers.
      await waitFor('the listening line', () => /listening on .*2 hosts/.test(log), 5_000);
      const status = JSON.parse(ctl(home, 'status').stdout);
      assert.deepEqual(
        status.hosts.map((h: { host: string }) => h.host),
        ['w1', 'w2'],
      );
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    }
    assert.equal(ctl(home, 'ping').status, 1);
    fs.rmSync(home, { recursive: true, force: true });
  });
});

function execCondor(sim: CondorSim, tool: string, args: string[]): string {
  const r = spawnSync(path.join(sim.binDir, tool), args, {
    env: { ...process.env, ...sim.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}
