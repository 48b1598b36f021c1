import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TOOLS = ['condor_submit', 'condor_q', 'condor_rm', 'condor_history'] as const;
export type Tool = (typeof TOOLS)[number];

export interface CountingBin {
  dir: string;
  /** Invocations so far, per tool. */
  counts(): Record<Tool, number>;
  remove(): void;
}

/**
 * A CONDORHUB_CONDOR_BIN whose tools log one line per call and exec the sim's own tool, so
 * the bench counts what condorhub actually runs without touching condorhub or the sim.
 */
export function countingCondorBin(simBinDir: string): CountingBin {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chbench-condor-bin-'));
  // Jobs are submitted through runuser as the bench user: it must reach the scripts and the log.
  fs.chmodSync(dir, 0o755);
  const logFile = path.join(dir, 'calls.log');
  fs.writeFileSync(logFile, '');
  fs.chmodSync(logFile, 0o666);
  for (const tool of TOOLS) {
    const script = path.join(dir, tool);
    // One short O_APPEND write per call: atomic, so concurrent calls never interleave lines.
    fs.writeFileSync(script, `#!/bin/sh\necho ${tool} >> '${logFile}'\nexec '${path.join(simBinDir, tool)}' "$@"\n`);
    fs.chmodSync(script, 0o755);
  }
  return {
    dir,
    counts() {
      const c = Object.fromEntries(TOOLS.map((t) => [t, 0])) as Record<Tool, number>;
      for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) if (line in c) c[line as Tool]++;
      return c;
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
