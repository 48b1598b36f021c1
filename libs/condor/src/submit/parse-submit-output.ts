import { CondorParseError } from '../errors';
import { formatJobId, type JobId } from '../job-id';

export interface SubmittedJobs {
  clusterId: number;
  first: JobId;
  last: JobId;
}

const MAX_INPUT = 64 * 1024;

/**
 * stdout of a successful condor_submit: `-terse` prints `C.P - C.P` per cluster, plain mode
 * `N job(s) submitted to cluster C.` (procs then start at 0). Warnings go to stderr and are
 * not our business here: the exit status already said success.
 */
export function parseSubmitOutput(stdout: string): SubmittedJobs {
  if (typeof stdout !== 'string') throw new CondorParseError('condor_submit output', 'not text');
  if (stdout.length > MAX_INPUT)
    throw new CondorParseError('condor_submit output', `longer than ${MAX_INPUT} characters`);
  const terse = stdout.split('\n').flatMap((line) => {
    const m = /^(\d{1,10})\.(\d{1,10}) - (\d{1,10})\.(\d{1,10})\r?$/.exec(line);
    return m ? [m] : [];
  });
  if (terse.length > 1) throw new CondorParseError('condor_submit output', 'more than one cluster submitted', stdout);
  if (terse.length === 1) {
    const [, c1, p1, c2, p2] = terse[0].map(Number);
    if (c1 !== c2 || p2 < p1) throw new CondorParseError('condor_submit output', 'inconsistent job id range', stdout);
    return { clusterId: c1, first: formatJobId(c1, p1), last: formatJobId(c2, p2) };
  }
  const plain = /^(\d{1,10}) job\(s\) submitted to cluster (\d{1,10})\.\r?$/m.exec(stdout);
  if (plain) {
    const n = Number(plain[1]);
    const c = Number(plain[2]);
    if (n < 1) throw new CondorParseError('condor_submit output', 'zero jobs submitted', stdout);
    return { clusterId: c, first: formatJobId(c, 0), last: formatJobId(c, n - 1) };
  }
  throw new CondorParseError('condor_submit output', 'no "C.P - C.P" or "submitted to cluster" line', stdout);
}

/** condor's own reason from a failed submit: its `ERROR` lines, else all of stderr. */
export function submitErrorMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const errors = lines.filter((l) => /^ERROR\b/.test(l)).map((l) => l.replace(/^ERROR:?\s*/, ''));
  const chosen = errors.length ? errors : lines;
  return chosen.join('; ').slice(0, 4000) || '(condor_submit printed nothing)';
}
