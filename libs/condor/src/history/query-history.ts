import { locationArgs, type ResolvedCondorConfig } from '../config';
import { CondorCommandError, CondorError, CondorParseError } from '../errors';
import { parseJobId, type JobId } from '../job-id';
import { JOB_ATTRIBUTES, type CondorJobState } from '../query/job-state';
import { type HistoryLookup } from '../query/queue-snapshot';
import { runCondorCommand } from '../run/run-condor-command';
import { parseCondorHistoryJson } from './parse-condor-history-json';

/** Ids per condor_history call: keeps argv short; -match stops the scan after that many. */
export const HISTORY_BATCH = 200;

/**
 * Asks condor_history about jobs that left the queue (JobStatus 4 completed or 3 removed, with
 * ExitCode or RemoveReason). Ids are ORed by condor_history; `-match N` stops the scan of a
 * possibly huge history file once all N are found.
 */
export async function queryHistory(config: ResolvedCondorConfig, jobIds: readonly JobId[]): Promise<HistoryLookup> {
  const unique = [...new Set(jobIds)];
  unique.forEach((id) => parseJobId(id));
  const jobs: CondorJobState[] = [];
  try {
    for (let i = 0; i < unique.length; i += HISTORY_BATCH) {
      const batch = unique.slice(i, i + HISTORY_BATCH);
      const res = await runCondorCommand(config, {
        tool: 'condor_history',
        args: [
          ...locationArgs(config),
          ...batch,
          '-match',
          String(batch.length),
          '-json',
          '-attributes',
          JOB_ATTRIBUTES.join(','),
        ],
        asUser: false,
      });
      if (res.exitCode !== 0) throw new CondorCommandError(res.command, res.exitCode, res.signal, res.stderr);
      const wanted = new Set(batch);
      for (const j of parseCondorHistoryJson(res.stdout)) {
        if (!wanted.has(j.jobId))
          throw new CondorParseError('condor_history -json output', `unexpected job ${j.jobId}`);
        jobs.push(j);
      }
    }
  } catch (e) {
    if (e instanceof CondorError) return { status: 'unknown', error: e };
    return { status: 'unknown', error: new CondorParseError('condor_history result', String(e)) };
  }
  const byId = new Map<JobId, CondorJobState>(jobs.map((j) => [j.jobId, j]));
  return { status: 'ok', jobs, byId, notFound: unique.filter((id) => !byId.has(id)) };
}
