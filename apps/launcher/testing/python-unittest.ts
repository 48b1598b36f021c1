import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface UnittestResult {
  /** Process outcome: exit status (null when killed), the signal, and any error starting it. */
  status: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  /** Everything unittest printed (stdout and stderr), for failure messages. */
  output: string;
  /** Unittest's own tally, undefined when it did not get as far as writing it. */
  tally?: { ran: number; failed: number; skipped: { id: string; reason: string }[] };
}

// `python3 -m unittest discover`, but the result (notably which tests skipped, and why) is
// written as JSON to a file: the text output interleaves the tests' own logging, so parsing it
// would be guesswork.
const RUNNER = `
import json, sys, unittest
out, start, top = sys.argv[1:4]
suite = unittest.defaultTestLoader.discover(start, top_level_dir=top)
result = unittest.TextTestRunner(verbosity=1).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
with open(out, "w") as f:
    json.dump({"ran": result.testsRun, "failed": failed,
               "skipped": [{"id": t.id(), "reason": r} for t, r in result.skipped]}, f)
sys.exit(0 if result.wasSuccessful() else 1)
`;

/** Runs a Python unittest suite (cwd `root`, like `python3 -m unittest discover -s start -t top`). */
export function runUnittest(
  python: string,
  root: string,
  start: string,
  top: string,
  timeoutMs: number,
): UnittestResult {
  const dir = mkdtempSync(path.join(tmpdir(), 'condorhub-unittest-'));
  const out = path.join(dir, 'result.json');
  try {
    const res = spawnSync(python, ['-c', RUNNER, out, start, top], {
      cwd: root,
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 64 * 1024 * 1024,
    });
    let tally: UnittestResult['tally'];
    try {
      tally = JSON.parse(readFileSync(out, 'utf8'));
    } catch {
      tally = undefined;
    }
    return {
      status: res.status,
      signal: res.signal,
      error: res.error,
      output: `${res.stdout ?? ''}${res.stderr ?? ''}`,
      tally,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
