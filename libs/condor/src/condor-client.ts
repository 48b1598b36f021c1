import { type CondorClientConfig, resolveCondorConfig, type ResolvedCondorConfig } from './config';
import { queryHistory } from './history/query-history';
import { type JobId } from './job-id';
import { queryJobs } from './query/query-jobs';
import { type QueueInfo, queryQueueInfo } from './queue-info/query-queue-info';
import { type HistoryLookup, type QueueSnapshot } from './query/queue-snapshot';
import { removeJob, type RemoveJobRequest, type RemoveJobResult } from './remove/remove-job';
import { type SubmitJobRequest } from './submit/render-submit-description';
import { submitJob, type SubmitJobResult } from './submit/submit-job';

/** The HTCondor CLI adapter: the only way condorhub talks to a pool. */
export class CondorClient {
  readonly config: ResolvedCondorConfig;

  constructor(config: CondorClientConfig = {}) {
    this.config = resolveCondorConfig(config);
  }

  /** condor_submit as `req.owner`; rejects with CondorSubmitRejectedError carrying condor's message. */
  submit(req: SubmitJobRequest): Promise<SubmitJobResult> {
    return submitJob(this.config, req);
  }

  /** One condor_q for all condorhub jobs; `{status:'unknown'}` on any failure, never "gone". */
  query(tracked: readonly JobId[] = []): Promise<QueueSnapshot> {
    return queryJobs(this.config, tracked);
  }

  /** condor_q for this hub's idle jobs and condor_status for slots; throws a CondorError on failure. */
  queueInfo(jobId: JobId): Promise<QueueInfo> {
    return queryQueueInfo(this.config, jobId);
  }

  /** condor_history for jobs that left the queue. */
  history(jobIds: readonly JobId[]): Promise<HistoryLookup> {
    return queryHistory(this.config, jobIds);
  }

  /** condor_rm as the owner; not found / already removing count as done. */
  remove(req: RemoveJobRequest): Promise<RemoveJobResult> {
    return removeJob(this.config, req);
  }
}
