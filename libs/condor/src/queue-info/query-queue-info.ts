import { locationArgs, type ResolvedCondorConfig } from '../config';
import { CondorCommandError, CondorParseError } from '../errors';
import { type JobId, formatJobId, parseJobId } from '../job-id';
import { runCondorCommand } from '../run/run-condor-command';
import { LEGACY_INSTANCE } from '../query/build-condor-q-args';

/** What the negotiator and the schedd say about one job, as far as queueing goes. */
export interface QueuedJobAd {
  jobId: JobId;
  jobStatus: number | null;
  qDate: number | null;
  requestCpus: number | null;
  /** MiB, as RequestMemory. */
  requestMemory: number | null;
  lastRejMatchReason: string | null;
  /** Unix seconds. */
  lastRejMatchTime: number | null;
}

/** One slot ad from the collector (condor_status). */
export interface SlotAd {
  name: string;
  state: string | null;
  slotType: string | null;
  cpus: number;
  /** MiB. */
  memory: number;
}

export interface QueueInfo {
  /** null: the job is not in the queue (any more). */
  job: QueuedJobAd | null;
  /** This hub's idle jobs (JobStatus 1), oldest QDate first (ties by id). */
  idleJobs: QueuedJobAd[];
  slots: SlotAd[];
  queriedAt: Date;
}

export const QUEUE_INFO_JOB_ATTRIBUTES = [
  'ClusterId',
  'ProcId',
  'JobStatus',
  'QDate',
  'RequestCpus',
  'RequestMemory',
  'LastRejMatchReason',
  'LastRejMatchTime',
] as const;

export const QUEUE_INFO_SLOT_ATTRIBUTES = ['Name', 'State', 'SlotType', 'Cpus', 'Memory'] as const;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown) => (typeof v === 'string' ? v : null);

function parseAds(stdout: string, what: string): Record<string, unknown>[] {
  // -json prints nothing at all when no ad matched (compat_classad.cpp appendFooter).
  if (stdout.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (e) {
    throw new CondorParseError(what, String(e), stdout);
  }
  if (!Array.isArray(value) || value.some((ad) => typeof ad !== 'object' || ad === null || Array.isArray(ad)))
    throw new CondorParseError(what, 'expected a JSON array of ads', stdout);
  return value as Record<string, unknown>[];
}

export function parseQueuedJobAds(stdout: string): QueuedJobAd[] {
  return parseAds(stdout, 'condor_q -json output').flatMap((ad) => {
    const cluster = num(ad.ClusterId);
    const proc = num(ad.ProcId);
    if (cluster === null || proc === null) return [];
    return [
      {
        jobId: formatJobId(cluster, proc),
        jobStatus: num(ad.JobStatus),
        qDate: num(ad.QDate),
        requestCpus: num(ad.RequestCpus),
        requestMemory: num(ad.RequestMemory),
        lastRejMatchReason: str(ad.LastRejMatchReason),
        lastRejMatchTime: num(ad.LastRejMatchTime),
      },
    ];
  });
}

export function parseSlotAds(stdout: string): SlotAd[] {
  return parseAds(stdout, 'condor_status -json output').flatMap((ad) => {
    const name = str(ad.Name);
    const cpus = num(ad.Cpus);
    const memory = num(ad.Memory);
    if (name === null || cpus === null || memory === null) return [];
    return [{ name, state: str(ad.State), slotType: str(ad.SlotType), cpus, memory }];
  });
}

const byQueueOrder = (a: QueuedJobAd, b: QueuedJobAd) =>
  (a.qDate ?? 0) - (b.qDate ?? 0) || a.jobId.localeCompare(b.jobId, 'en', { numeric: true });

/**
 * Read-only look at why a job may still be idle: one condor_q for this hub's jobs (idle ones
 * plus the job itself) and one condor_status for the pool's slots. Throws a CondorError when
 * either tool fails; both run with the configured timeouts.
 */
export async function queryQueueInfo(config: ResolvedCondorConfig, jobId: JobId): Promise<QueueInfo> {
  const { clusterId, procId } = parseJobId(jobId);
  const instance =
    config.instance === LEGACY_INSTANCE
      ? `CondorhubInstance == "${config.instance}"`
      : `(CondorhubInstance == "${config.instance}" || CondorhubInstance == "${LEGACY_INSTANCE}")`;
  const [q, status] = await Promise.all([
    runCondorCommand(config, {
      tool: 'condor_q',
      asUser: false,
      args: [
        ...locationArgs(config),
        '-allusers',
        '-constraint',
        `${instance} && (JobStatus == 1 || (ClusterId == ${clusterId} && ProcId == ${procId}))`,
        '-json',
        '-attributes',
        QUEUE_INFO_JOB_ATTRIBUTES.join(','),
      ],
    }),
    runCondorCommand(config, {
      tool: 'condor_status',
      asUser: false,
      // condor_status asks the collector: -pool applies, a schedd -name does not.
      args: [
        ...(config.pool ? ['-pool', config.pool] : []),
        '-json',
        '-attributes',
        QUEUE_INFO_SLOT_ATTRIBUTES.join(','),
      ],
    }),
  ]);
  if (q.exitCode !== 0) throw new CondorCommandError(q.command, q.exitCode, q.signal, q.stderr);
  if (status.exitCode !== 0)
    throw new CondorCommandError(status.command, status.exitCode, status.signal, status.stderr);
  const ads = parseQueuedJobAds(q.stdout);
  return {
    job: ads.find((a) => a.jobId === jobId) ?? null,
    idleJobs: ads.filter((a) => a.jobStatus === 1).sort(byQueueOrder),
    slots: parseSlotAds(status.stdout),
    queriedAt: new Date(),
  };
}
