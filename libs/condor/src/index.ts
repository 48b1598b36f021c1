export { CondorClient } from './condor-client';
export {
  type CondorClientConfig,
  type CondorTool,
  type ResolvedCondorConfig,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  locationArgs,
  resolveCondorConfig,
} from './config';
export {
  CondorCommandError,
  CondorError,
  CondorInvalidInputError,
  CondorOutputTooLargeError,
  CondorParseError,
  CondorRemoveDeniedError,
  CondorSpawnError,
  CondorSubmitRejectedError,
  CondorTimeoutError,
} from './errors';
export { type JobId, formatJobId, isJobId, parseJobId } from './job-id';
export { type CondorCommandResult, buildCommandLine, runCondorCommand } from './run/run-condor-command';
export {
  DEFAULT_SUBMIT_TEMPLATE,
  type SubmitJobRequest,
  renderSubmitDescription,
  submitTemplateValues,
} from './submit/render-submit-description';
export {
  classAdLiteral,
  escapeMacros,
  machineExclusions,
  quoteArguments,
  quoteEnvironment,
  quotePlainValue,
} from './submit/quote-submit-values';
export { type SubmittedJobs, parseSubmitOutput, submitErrorMessage } from './submit/parse-submit-output';
export { type SubmitJobResult, submitJob } from './submit/submit-job';
export {
  type CondorJobState,
  type JobStatusName,
  JOB_ATTRIBUTES,
  JOB_STATUS,
  jobStatusName,
  splitSlotName,
} from './query/job-state';
export { parseJobAdList, jobStateFromAd, MAX_AD_LIST_CHARS } from './query/parse-job-ads';
export { parseCondorQJson } from './query/parse-condor-q-json';
export { buildCondorQArgs } from './query/build-condor-q-args';
export { type HistoryLookup, type QueueSnapshot } from './query/queue-snapshot';
export { queryJobs } from './query/query-jobs';
export { parseCondorHistoryJson } from './history/parse-condor-history-json';
export { queryHistory, HISTORY_BATCH } from './history/query-history';
export { type RemoveOutcome, parseCondorRmOutput } from './remove/parse-condor-rm-output';
export { type RemoveJobRequest, type RemoveJobResult, removeJob } from './remove/remove-job';
export {
  type QueueInfo,
  type QueuedJobAd,
  type SlotAd,
  parseQueuedJobAds,
  parseSlotAds,
  queryQueueInfo,
} from './queue-info/query-queue-info';
export { type QueueExplanation, explainQueue, formatMemoryMb, ordinal } from './queue-info/explain-queue';
