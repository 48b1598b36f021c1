import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The launcher is Python (it runs on workers without Node); this puts its unittest suite
// under `npm test` so CI runs it with everything else.
const root = path.resolve(__dirname, '..', '..');
const python = process.env.CONDORHUB_PYTHON ?? 'python3';

test('launcher python unittest suite passes', { timeout: 300_000 }, () => {
  const res = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'apps/launcher/tests', '-t', 'apps/launcher'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  assert.equal(res.error, undefined, `could not run ${python}: ${String(res.error)}\n${output}`);
  assert.equal(res.signal, null, `unittest was killed by ${res.signal} (timeout?)\n${output}`);
  assert.equal(res.status, 0, `python3 -m unittest failed with exit code ${res.status}:\n${output}`);
  // Make skipped privileged tests visible in the Node runner's output.
  const summary = /Ran \d+ tests? in [\d.]+s\s+OK.*$/m.exec(output);
  if (summary) console.log(`launcher: ${summary[0].replace(/\s+/g, ' ')}`);
});
