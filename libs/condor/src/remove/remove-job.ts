import { locationArgs, type ResolvedCondorConfig } from '../config';
import { CondorCommandError, CondorInvalidInputError, CondorRemoveDeniedError } from '../errors';
import { parseJobId, type JobId } from '../job-id';
import { runCondorCommand } from '../run/run-condor-command';
import { parseCondorRmOutput } from './parse-condor-rm-output';

export interface RemoveJobRequest {
  jobId: JobId;
  /** The job's owner: condor_rm runs as them through the command prefix. */
  owner: string;
  /** Recorded as RemoveReason (`<reason> (by user <owner>)`). */
  reason?: string;
}

export interface RemoveJobResult {
  jobId: JobId;
  /** `marked`: removal started. `not-found` / `already-removing`: nothing left to do. */
  outcome: 'marked' | 'not-found' | 'already-removing';
  /** True for every outcome: the removal saga may move on. */
  done: true;
}

/**
 * condor_rm of one job. "Not found" (already left the queue) and "already marked for
 * removal" count as done; a refusal or an unrecognised failure throws a typed error so the
 * caller retries.
 */
export async function removeJob(config: ResolvedCondorConfig, req: RemoveJobRequest): Promise<RemoveJobResult> {
  parseJobId(req.jobId);
  const args = [...locationArgs(config)];
  if (req.reason !== undefined) {
    if (/[\r\n\0]/.test(req.reason) || req.reason.length > 1000) {
      throw new CondorInvalidInputError('remove reason must be one line of at most 1000 characters');
    }
    args.push('-reason', req.reason);
  }
  args.push(req.jobId);
  const res = await runCondorCommand(config, { tool: 'condor_rm', args, user: req.owner, asUser: true });
  const outcome = parseCondorRmOutput(req.jobId, res.exitCode, res.stdout, res.stderr);
  if (outcome === 'permission-denied') throw new CondorRemoveDeniedError(res.command, res.stderr.trim());
  if (outcome === undefined)
    throw new CondorCommandError(res.command, res.exitCode, res.signal, `${res.stderr}${res.stdout}`);
  return { jobId: req.jobId, outcome, done: true };
}
