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

describe('runCondorCommand environment', () => {
  let bin: string;
  const secrets = {
    CONDORHUB_COOKIE_SECRET: 'cookie-secret-0123456789abcdef0123456789',
    CONDORHUB_ADMIN_TOKEN: 'admin-token-0123456789',
    CONDORHUB_DATABASE_URL: 'postgres://hub:db-password@127.0.0.1/condorhub',
    CONDORHUB_OIDC_CLIENT_SECRET: 'oidc-secret-0123456789',
    SOME_OTHER_SERVICE_SECRET: 'unrelated-secret-0123456789',
  };
  const kept = { _CONDOR_SCHEDD_HOST: 'schedd.example', CONDOR_CONFIG: '/etc/condor/condor_config', SITE_X: 'x' };
  const saved: Record<string, string | undefined> = {};
  before(() => {
    bin = fs.mkdtempSync(path.join(os.tmpdir(), 'condor-env-'));
    // A stand-in condor_q that prints the environment it was started with.
    fs.writeFileSync(path.join(bin, 'condor_q'), '#!/bin/sh\nenv\n', { mode: 0o755 });
    for (const [k, v] of Object.entries({ ...secrets, ...kept })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  after(() => {
    fs.rmSync(bin, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const childEnv = async (envPassthrough?: string[]) => {
    const result = await runCondorCommand(resolveCondorConfig({ binDir: bin, envPassthrough }), {
      tool: 'condor_q',
      args: [],
      asUser: false,
    });
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout;
  };

  it('gives the tool no CONDORHUB_* setting and none of the service secrets', async () => {
    const out = await childEnv();
    assert.doesNotMatch(out, /^CONDORHUB_/m);
    for (const value of Object.values(secrets)) assert.ok(!out.includes(value), `leaked ${value}`);
    assert.match(out, /^_CONDOR_SCHEDD_HOST=schedd\.example$/m);
    assert.match(out, /^CONDOR_CONFIG=\/etc\/condor\/condor_config$/m);
    assert.match(out, /^PATH=/m);
    assert.doesNotMatch(out, /^SITE_X=/m);
  });

  it('passes the names a site allows, still never CONDORHUB_*', async () => {
    const out = await childEnv(['SITE_*']);
    assert.match(out, /^SITE_X=x$/m);
    assert.doesNotMatch(out, /^CONDORHUB_/m);
    assert.throws(() => resolveCondorConfig({ envPassthrough: ['CONDORHUB_ADMIN_TOKEN'] }), CondorInvalidInputError);
    assert.throws(() => resolveCondorConfig({ envPassthrough: ['COND*'] }), CondorInvalidInputError);
    assert.throws(() => resolveCondorConfig({ envPassthrough: ['bad name'] }), CondorInvalidInputError);
  });
});
