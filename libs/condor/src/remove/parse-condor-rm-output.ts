import { CondorParseError } from '../errors';
import { type JobId } from '../job-id';

/** What condor_rm said about one job (dc_schedd.cpp JobActionResults strings). */
export type RemoveOutcome = 'marked' | 'not-found' | 'already-removing' | 'permission-denied';

function escape(id: string): string {
  return id.replace('.', '\\.');
}

/**
 * Classifies `condor_rm C.P` by its messages, checked against the exit status: 0 with
 * `Job C.P marked for removal`, 1 with `Job C.P not found` / `already marked for removal` /
 * `Permission denied to remove job C.P`. Anything else is not classified (returns undefined).
 */
export function parseCondorRmOutput(
  jobId: JobId,
  exitCode: number | null,
  stdout: string,
  stderr: string,
): RemoveOutcome | undefined {
  if (stdout.length + stderr.length > 1024 * 1024) throw new CondorParseError('condor_rm output', 'too long');
  const id = escape(jobId);
  const text = `${stdout}\n${stderr}`;
  const has = (re: string) => new RegExp(`^${re}\\r?$`, 'm').test(text);
  if (exitCode === 0 && has(`Job ${id} marked for removal`)) return 'marked';
  if (exitCode === 1 && has(`Job ${id} not found`)) return 'not-found';
  if (exitCode === 1 && has(`Job ${id} already marked for removal`)) return 'already-removing';
  if (exitCode === 1 && has(`Permission denied to remove job ${id}`)) return 'permission-denied';
  return undefined;
}
