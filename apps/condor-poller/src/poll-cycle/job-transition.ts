import type { CondorJobState } from '@condorhub/condor';
import { type NewEvent, newEvent } from '@condorhub/contracts';
import type { JobMark } from '../tracked-jobs/tracked-jobs';

/**
 * The event a job's condor state calls for, given what the events already say (`known`).
 * Pure. Only a change produces an event; states that say nothing new (transferring output,
 * suspended, codes beyond 7) produce none.
 */
export function jobTransition(
  spawnId: string,
  job: CondorJobState,
  known: JobMark | undefined,
  /** NumJobStarts when this process last saw the job running, if it did. */
  knownStarts?: number,
): { event: NewEvent; mark: JobMark } | undefined {
  const jobId = job.jobId;
  switch (job.status) {
    case 'idle':
      if (known === 'idle') return undefined;
      return {
        event: newEvent('JobIdle', {
          spawnId,
          jobId,
          ...(job.enteredCurrentStatus ? { since: new Date(job.enteredCurrentStatus * 1000).toISOString() } : {}),
        }),
        mark: 'idle',
      };
    case 'running':
      if (!job.host) return undefined;
      // Running again since the last look (evicted and matched again between two polls): a new
      // run, with a new launcher and port, that the spawn must hear of.
      if (known === 'running' && !(knownStarts !== undefined && (job.numJobStarts ?? 0) > knownStarts))
        return undefined;
      return {
        event: newEvent('JobRunning', { spawnId, jobId, host: job.host, slot: job.slot ?? job.remoteHost ?? job.host }),
        mark: 'running',
      };
    case 'held':
      if (known === 'held') return undefined;
      return {
        event: newEvent('JobHeld', {
          spawnId,
          jobId,
          holdReason: job.holdReason ?? 'no HoldReason given',
          code: job.holdReasonCode ?? null,
        }),
        mark: 'held',
      };
    case 'removing':
      if (known === 'gone') return undefined;
      return { event: newEvent('JobRemoved', { spawnId, jobId, reason: job.removeReason ?? '' }), mark: 'gone' };
    case 'completed':
      if (known === 'gone') return undefined;
      return { event: newEvent('JobCompleted', { spawnId, jobId, exitCode: job.exitCode ?? null }), mark: 'gone' };
    default:
      return undefined;
  }
}
