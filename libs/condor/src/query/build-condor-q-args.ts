import { locationArgs, type ResolvedCondorConfig } from '../config';
import { JOB_ATTRIBUTES } from './job-state';

/**
 * The tag every hub used before each got its own (CONDORHUB_INSTANCE): jobs submitted then
 * stay visible, so their servers are still followed after an upgrade. Only jobs with this
 * hub's own tag are ever removed as strays (apps/condor-poller stray-jobs).
 */
export const LEGACY_INSTANCE = 'condorhub';

/**
 * One condor_q for every condorhub job: `-allusers` because jobs belong to many users (and
 * CONDOR_Q_ONLY_MY_JOBS would hide them), a constraint on our instance tag instead of a list
 * of ids, and only the attributes we read.
 */
export function buildCondorQArgs(config: ResolvedCondorConfig): string[] {
  return [
    ...locationArgs(config),
    '-allusers',
    '-constraint',
    config.instance === LEGACY_INSTANCE
      ? `CondorhubInstance == "${config.instance}"`
      : `CondorhubInstance == "${config.instance}" || CondorhubInstance == "${LEGACY_INSTANCE}"`,
    '-json',
    '-attributes',
    JOB_ATTRIBUTES.join(','),
  ];
}
