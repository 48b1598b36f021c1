import { type ResolvedCondorConfig } from '../config';
import { CondorCommandError, CondorError, CondorParseError } from '../errors';
import { type JobId } from '../job-id';
import { runCondorCommand } from '../run/run-condor-command';
import { buildCondorQArgs } from './build-condor-q-args';
import { type CondorJobState } from './job-state';
import { parseCondorQJson } from './parse-condor-q-json';
import { type QueueSnapshot } from './queue-snapshot';

/**
 * Queries all condorhub jobs with one condor_q. `tracked` only decides what is reported as
 * `missing`. Never throws for condor trouble: a failure is `{ status: 'unknown' }`.
 */
export async function queryJobs(config: ResolvedCondorConfig, tracked: readonly JobId[] = []): Promise<QueueSnapshot> {
  const queriedAt = new Date();
  try {
    const res = await runCondorCommand(config, { tool: 'condor_q', args: buildCondorQArgs(config), asUser: false });
    // Exit 1 is "could not ask the schedd", never "no jobs" (queue.cpp: 0 matches is exit 0).
    if (res.exitCode !== 0) throw new CondorCommandError(res.command, res.exitCode, res.signal, res.stderr);
    const jobs = parseCondorQJson(res.stdout);
    const byId = new Map<JobId, CondorJobState>(jobs.map((j) => [j.jobId, j]));
    return { status: 'ok', jobs, byId, missing: tracked.filter((id) => !byId.has(id)), queriedAt };
  } catch (e) {
    if (e instanceof CondorError) return { status: 'unknown', error: e, queriedAt };
    return { status: 'unknown', error: new CondorParseError('condor_q result', String(e)), queriedAt };
  }
}
