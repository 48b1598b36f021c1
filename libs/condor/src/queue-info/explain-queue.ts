import { type JobStatusName, jobStatusName } from '../query/job-state';
import { type QueueInfo, type SlotAd } from './query-queue-info';

/** Why a job is (still) idle, for people: the pending page and the queue API. */
export interface QueueExplanation {
  jobId: string;
  /** null: the job is no longer in the queue. */
  status: JobStatusName | null;
  requested: { cpus: number; memoryMb: number } | null;
  /** Free (Unclaimed) slots with room for the request. */
  matchingSlots: number;
  freeSlots: number;
  largestFreeSlot: { name: string; cpus: number; memoryMb: number } | null;
  /** 1-based place among this hub's idle jobs by submit time (QDate). */
  position: { place: number; of: number } | null;
  /** The negotiator's last word on the job, as it wrote it into the job ad. */
  condorSays: { reason: string; at: string | null } | null;
  lines: string[];
}

export function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

export function formatMemoryMb(mb: number): string {
  return mb >= 1024 ? `${Number((mb / 1024).toFixed(1))} GB` : `${mb} MB`;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

const bigger = (a: SlotAd, b: SlotAd) => (a.cpus !== b.cpus ? a.cpus > b.cpus : a.memory > b.memory);

/** Pure: turns what condor_q and condor_status said into an explanation. */
export function explainQueue(jobId: string, info: QueueInfo): QueueExplanation {
  const job = info.job;
  const status = job && job.jobStatus !== null ? jobStatusName(job.jobStatus) : null;
  // HTCondor's defaults when the submit file names none: 1 CPU; memory is then decided by the pool.
  const requested = job ? { cpus: job.requestCpus ?? 1, memoryMb: job.requestMemory ?? 0 } : null;
  const free = info.slots.filter((s) => s.state === 'Unclaimed');
  const matching = requested ? free.filter((s) => s.cpus >= requested.cpus && s.memory >= requested.memoryMb) : [];
  const largest = free.reduce<SlotAd | null>((best, s) => (!best || bigger(s, best) ? s : best), null);
  const place = info.idleJobs.findIndex((j) => j.jobId === jobId);
  const position = place >= 0 ? { place: place + 1, of: info.idleJobs.length } : null;
  const condorSays = job?.lastRejMatchReason
    ? {
        reason: job.lastRejMatchReason,
        at: job.lastRejMatchTime !== null ? new Date(job.lastRejMatchTime * 1000).toISOString() : null,
      }
    : null;

  const lines: string[] = [];
  if (!job || !requested) {
    lines.push('The job is no longer in the queue.');
  } else if (status !== 'idle') {
    lines.push(`The job is not waiting in the queue: HTCondor reports it ${status ?? 'in an unknown state'}.`);
  } else {
    const want = `${plural(requested.cpus, 'CPU', 'CPUs')}${requested.memoryMb ? ` and ${formatMemoryMb(requested.memoryMb)} memory` : ''}`;
    if (!largest) lines.push(`Every slot in the pool is busy; the job asks for ${want}.`);
    else if (matching.length)
      lines.push(
        `${plural(matching.length, 'free slot has', 'free slots have')} room for ${want}; the job waits for the next negotiation cycle.`,
      );
    else if (!free.some((s) => s.cpus >= requested.cpus))
      lines.push(
        `No free slot has ${plural(requested.cpus, 'CPU', 'CPUs')}; the largest free slot has ${largest.cpus}.`,
      );
    else
      lines.push(
        `No free slot has ${formatMemoryMb(requested.memoryMb)} memory for ${plural(requested.cpus, 'CPU', 'CPUs')}; the largest free slot has ${formatMemoryMb(Math.max(...free.filter((s) => s.cpus >= requested.cpus).map((s) => s.memory)))}.`,
      );
    if (position) lines.push(`${ordinal(position.place)} of ${position.of} idle jobs of this hub.`);
  }
  if (condorSays) lines.push(`HTCondor says: ${condorSays.reason}`);
  return {
    jobId,
    status,
    requested,
    matchingSlots: matching.length,
    freeSlots: free.length,
    largestFreeSlot: largest ? { name: largest.name, cpus: largest.cpus, memoryMb: largest.memory } : null,
    position,
    condorSays,
    lines,
  };
}
