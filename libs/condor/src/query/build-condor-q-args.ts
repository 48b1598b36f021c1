import { locationArgs, type ResolvedCondorConfig } from '../config';
import { JOB_ATTRIBUTES } from './job-state';

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
    `CondorhubInstance == "${config.instance}"`,
    '-json',
    '-attributes',
    JOB_ATTRIBUTES.join(','),
  ];
}
