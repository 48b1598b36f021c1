import { locationArgs, type ResolvedCondorConfig } from '../config';
import { CondorSubmitRejectedError } from '../errors';
import { type JobId } from '../job-id';
import { runCondorCommand } from '../run/run-condor-command';
import { parseSubmitOutput, submitErrorMessage } from './parse-submit-output';
import { renderSubmitDescription, type SubmitJobRequest } from './render-submit-description';

export interface SubmitJobResult {
  jobId: JobId;
  clusterId: number;
  /** condor_submit's stderr on success (warnings, the condor_watch_q hint); never an error. */
  warnings: string;
  description: string;
}

/**
 * Renders the description and feeds it to `condor_submit -terse` on stdin, as the owner.
 * Exit status decides success (stderr is not an error since 25.13.2 prints a hint there).
 * A timeout rejects with CondorTimeoutError: the job may or may not exist, look it up by
 * CondorhubSpawnId before submitting again.
 */
export async function submitJob(config: ResolvedCondorConfig, req: SubmitJobRequest): Promise<SubmitJobResult> {
  const description = renderSubmitDescription(req, { template: config.submitTemplate, instance: config.instance });
  const res = await runCondorCommand(config, {
    tool: 'condor_submit',
    args: ['-terse', ...locationArgs(config)],
    user: req.owner,
    asUser: true,
    stdin: description,
  });
  if (res.exitCode !== 0) {
    throw new CondorSubmitRejectedError(res.command, submitErrorMessage(res.stderr || res.stdout), res.exitCode);
  }
  const parsed = parseSubmitOutput(res.stdout);
  return { jobId: parsed.first, clusterId: parsed.clusterId, warnings: res.stderr.trim(), description };
}
