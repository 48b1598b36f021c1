import { CondorParseError } from '../errors';
import { formatJobId, type JobId } from '../job-id';
import { type CondorJobState, jobStatusName, splitSlotName } from './job-state';

/** Beyond this, the text is not a plausible answer about condorhub's jobs. */
export const MAX_AD_LIST_CHARS = 256 * 1024 * 1024;

type Ad = Record<string, unknown>;

function lookup(ad: Ad, name: string): unknown {
  // ClassAd attribute names are case-insensitive; JSON keys keep the schedd's spelling.
  if (name in ad) return ad[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(ad)) if (k.toLowerCase() === lower) return ad[k];
  return undefined;
}

function fail(what: string, detail: string, index: number): never {
  throw new CondorParseError(what, `ad ${index}: ${detail}`);
}

function int(ad: Ad, name: string, what: string, i: number, required: true): number;
function int(ad: Ad, name: string, what: string, i: number, required?: false): number | undefined;
function int(ad: Ad, name: string, what: string, i: number, required = false): number | undefined {
  const v = lookup(ad, name);
  if (v === undefined || v === null) {
    if (required) fail(what, `${name} is missing`, i);
    return undefined;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v))
    fail(what, `${name} is not an integer: ${JSON.stringify(v)}`, i);
  return v;
}

function str(ad: Ad, name: string, what: string, i: number): string | undefined {
  const v = lookup(ad, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail(what, `${name} is not a string: ${JSON.stringify(v)}`, i);
  return v;
}

function bool(ad: Ad, name: string, what: string, i: number): boolean | undefined {
  const v = lookup(ad, name);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') fail(what, `${name} is not a boolean: ${JSON.stringify(v)}`, i);
  return v;
}

/** One JSON job ad to a typed state; any attribute of the wrong type rejects the whole ad. */
export function jobStateFromAd(ad: unknown, what: string, i: number): CondorJobState {
  if (typeof ad !== 'object' || ad === null || Array.isArray(ad)) fail(what, 'not a JSON object', i);
  const a = ad as Ad;
  const clusterId = int(a, 'ClusterId', what, i, true);
  const procId = int(a, 'ProcId', what, i, true);
  const statusCode = int(a, 'JobStatus', what, i, true);
  if (clusterId < 0 || procId < 0) fail(what, 'negative ClusterId/ProcId', i);
  const state: CondorJobState = {
    jobId: formatJobId(clusterId, procId),
    clusterId,
    procId,
    statusCode,
    status: jobStatusName(statusCode),
  };
  const set = <K extends keyof CondorJobState>(k: K, v: CondorJobState[K] | undefined) => {
    if (v !== undefined) state[k] = v;
  };
  set('owner', str(a, 'Owner', what, i));
  set('enteredCurrentStatus', int(a, 'EnteredCurrentStatus', what, i));
  const remoteHost = str(a, 'RemoteHost', what, i);
  if (remoteHost !== undefined) {
    const { slot, host } = splitSlotName(remoteHost);
    Object.assign(state, { remoteHost, slot, host });
  }
  const lastRemoteHost = str(a, 'LastRemoteHost', what, i);
  if (lastRemoteHost !== undefined)
    Object.assign(state, { lastRemoteHost, lastHost: splitSlotName(lastRemoteHost).host });
  set('holdReason', str(a, 'HoldReason', what, i));
  set('holdReasonCode', int(a, 'HoldReasonCode', what, i));
  set('holdReasonSubCode', int(a, 'HoldReasonSubCode', what, i));
  set('removeReason', str(a, 'RemoveReason', what, i));
  set('exitCode', int(a, 'ExitCode', what, i));
  set('exitBySignal', bool(a, 'ExitBySignal', what, i));
  set('exitSignal', int(a, 'ExitSignal', what, i));
  set('numJobStarts', int(a, 'NumJobStarts', what, i));
  set('qDate', int(a, 'QDate', what, i));
  set('jobCurrentStartDate', int(a, 'JobCurrentStartDate', what, i));
  set('spawnId', str(a, 'CondorhubSpawnId', what, i));
  set('instance', str(a, 'CondorhubInstance', what, i));
  return state;
}

/**
 * A `-json` ad list (`[`, ads separated by a `,` line, `]`) to typed states. Anything else —
 * truncated, not an array, a job twice, a wrong attribute type — is a CondorParseError, so a
 * damaged answer can never read as "these jobs are gone".
 */
export function parseJobAdList(text: string, what: string, maxChars = MAX_AD_LIST_CHARS): CondorJobState[] {
  if (typeof text !== 'string') throw new CondorParseError(what, 'not text');
  if (text.length > maxChars) throw new CondorParseError(what, `longer than ${maxChars} characters`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new CondorParseError(what, `not JSON (${(e as Error).message})`, text.slice(0, 200));
  }
  if (!Array.isArray(parsed)) throw new CondorParseError(what, 'not a JSON array', text.slice(0, 200));
  const seen = new Set<JobId>();
  return parsed.map((ad, i) => {
    const state = jobStateFromAd(ad, what, i);
    if (seen.has(state.jobId)) fail(what, `job ${state.jobId} appears twice`, i);
    seen.add(state.jobId);
    return state;
  });
}
