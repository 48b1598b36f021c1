// The tools run in their own session at the configured nice level, session group included.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveCondorConfig } from '../config';
import { CondorInvalidInputError } from '../errors';
import { runCondorCommand } from './run-condor-command';

describe('runCondorCommand priority', () => {
  let bin: string;
  before(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'condor-nice-'));
    // A stand-in condor_q that reports its own priority once the launcher had time to set it.
    fs.writeFileSync(
      path.join(bin, 'condor_q'),
      '#!/bin/sh\nsleep 0.3\necho "nice=$(cut -d" " -f19 /proc/$$/stat)"\ncat /proc/$$/autogroup 2>/dev/null || true\n',
      { mode: 0o755 },
    );
  });
  after(() => fs.rmSync(bin, { recursive: true, force: true }));

  it('runs the tool at the nice level asked for, and its session group too', async () => {
    const result = await runCondorCommand(resolveCondorConfig({ binDir: bin, nice: 7 }), {
      tool: 'condor_q',
      args: [],
      asUser: false,
    });
    assert.match(result.stdout, /^nice=7$/m);
    if (fs.existsSync('/proc/self/autogroup')) assert.match(result.stdout, /autogroup-\d+ nice 7/);
  });

  it('leaves the priority alone by default', async () => {
    const result = await runCondorCommand(resolveCondorConfig({ binDir: bin }), {
      tool: 'condor_q',
      args: [],
      asUser: false,
    });
    assert.match(result.stdout, new RegExp(`^nice=${os.getPriority()}$`, 'm'));
  });

  it('refuses a nice level outside 0–19', () => {
    for (const nice of [-1, 20, 1.5]) assert.throws(() => resolveCondorConfig({ nice }), CondorInvalidInputError);
  });
});
