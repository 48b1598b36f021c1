import { type CondorJobState } from './job-state';
import { MAX_AD_LIST_CHARS, parseJobAdList } from './parse-job-ads';

/**
 * stdout of `condor_q -json`. No match prints NOTHING (0 bytes, exit 0), not `[]`
 * (compat_classad.cpp appendFooter), so empty text means "no job matched".
 */
export function parseCondorQJson(stdout: string, maxChars = MAX_AD_LIST_CHARS): CondorJobState[] {
  if (stdout === '') return [];
  return parseJobAdList(stdout, 'condor_q -json output', maxChars);
}
