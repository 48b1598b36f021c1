import { type JobId } from '../job-id';

/** JobStatus as HTCondor documents it (job-status-codes.rst). */
export const JOB_STATUS = {
  1: 'idle',
  2: 'running',
  3: 'removing',
  4: 'completed',
  5: 'held',
  6: 'transferring_output',
  7: 'suspended',
} as const;

/**
 * `other` covers codes outside 1-7 (8 failed, 9 blocked, 10 preparing since 25.13.2, future
 * ones): the job is still in the queue and not running, so callers treat it as pending.
 */
export type JobStatusName = (typeof JOB_STATUS)[keyof typeof JOB_STATUS] | 'other';

export function jobStatusName(code: number): JobStatusName {
  return (JOB_STATUS as Record<number, JobStatusName>)[code] ?? 'other';
}

/** One job as condor_q or condor_history reports it; absent attributes are undefined. */
export interface CondorJobState {
  jobId: JobId;
  clusterId: number;
  procId: number;
  statusCode: number;
  status: JobStatusName;
  owner?: string;
  /** Epoch seconds of the last JobStatus change. */
  enteredCurrentStatus?: number;
  /** Slot ad name while a shadow is active, e.g. `slot1_3@node7` (dynamic slot). */
  remoteHost?: string;
  /** `slot1_3` from RemoteHost (text before the first `@`). */
  slot?: string;
  /** Host from RemoteHost: text after the LAST `@` (glidein names contain two). */
  host?: string;
  lastRemoteHost?: string;
  lastHost?: string;
  holdReason?: string;
  holdReasonCode?: number;
  holdReasonSubCode?: number;
  removeReason?: string;
  exitCode?: number;
  exitBySignal?: boolean;
  exitSignal?: number;
  numJobStarts?: number;
  qDate?: number;
  jobCurrentStartDate?: number;
  /** condorhub's tag (`+CondorhubSpawnId`). */
  spawnId?: string;
  /** The hub that submitted the job (`+CondorhubInstance`). */
  instance?: string;
}

/** Attributes the adapter asks for (`-attributes`): less data, faster schedd. */
export const JOB_ATTRIBUTES = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'Owner',
  'EnteredCurrentStatus',
  'RemoteHost',
  'LastRemoteHost',
  'HoldReason',
  'HoldReasonCode',
  'HoldReasonSubCode',
  'RemoveReason',
  'ExitCode',
  'ExitBySignal',
  'ExitSignal',
  'NumJobStarts',
  'QDate',
  'JobCurrentStartDate',
  'CondorhubSpawnId',
  'CondorhubInstance',
] as const;

export function splitSlotName(name: string): { slot: string; host: string } {
  const first = name.indexOf('@');
  const last = name.lastIndexOf('@');
  if (first < 0) return { slot: name, host: name };
  return { slot: name.slice(0, first), host: name.slice(last + 1) };
}
