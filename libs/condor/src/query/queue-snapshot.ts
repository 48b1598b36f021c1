import { type CondorError } from '../errors';
import { type JobId } from '../job-id';
import { type CondorJobState } from './job-state';

/**
 * The answer to "where are my jobs?". `unknown` when condor_q failed, hung or printed
 * garbage: callers keep the last known state and must NOT conclude the jobs are gone.
 */
export type QueueSnapshot =
  | {
      status: 'ok';
      jobs: CondorJobState[];
      byId: Map<JobId, CondorJobState>;
      /** Asked-for ids that are not in the queue: ask condor_history about them. */
      missing: JobId[];
      queriedAt: Date;
    }
  | { status: 'unknown'; error: CondorError; queriedAt: Date };

export type HistoryLookup =
  | {
      status: 'ok';
      jobs: CondorJobState[];
      byId: Map<JobId, CondorJobState>;
      /** Not in history (yet): HTCondor writes history slightly after the job leaves the queue. */
      notFound: JobId[];
    }
  | { status: 'unknown'; error: CondorError };
