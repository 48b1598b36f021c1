import { CondorParseError } from '../errors';
import { type CondorJobState } from '../query/job-state';
import { parseJobAdList } from '../query/parse-job-ads';

/**
 * stdout of `condor_history -json`. Unlike condor_q it always frames the list (`[\n]\n` for
 * no match, history.cpp printHeader/printFooter), so empty stdout is damage, not "none".
 */
export function parseCondorHistoryJson(stdout: string): CondorJobState[] {
  if (stdout === '')
    throw new CondorParseError('condor_history -json output', 'empty output (expected at least "[ ]")');
  return parseJobAdList(stdout, 'condor_history -json output');
}
