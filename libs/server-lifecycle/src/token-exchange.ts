import { timingSafeEqual } from 'node:crypto';
import { type EventEnvelope, type NewEvent, newEvent } from '@condorhub/contracts';
import type { LauncherCredential } from './launcher-credential';
import { type ServerState, isPending } from './server-state';

/** The job may run before the poller has recorded it: the launcher is asked to retry (503). */
const NOT_YET_RUNNING = new Set(['requested', 'submitted', 'queued']);
/** JobRunning recorded and not stopping: the launcher may be asking. */
const LIVE = new Set(['starting', 'port-reported', 'routing', 'ready']);
const JOB_STATES = new Set(['JobIdle', 'JobRunning', 'JobHeld']);

/** A launcher's exchange request, hashed: the spawn, its secret, its own key, where it came from, and when. */
export interface ExchangeAsk {
  spawnId: string;
  secretHash: string;
  launcherKeyHash: string;
  remoteAddress: string;
  now: number;
}

export type ExchangeVerdict =
  | { kind: 'refuse'; status: 401 | 409 | 503; message: string }
  /** Not running yet, or between two runs: the poller may not have recorded this run's JobRunning yet. */
  | { kind: 'wait-for-run' }
  /** A second process with the credential: record the refusal; `failSpawn` when the spawn is still starting. */
  | { kind: 'taken'; host: string; events: NewEvent[]; failSpawn: boolean }
  /** Hand out a token (`tokenIssued` records it); the one issued before, if any, is of no use to anyone now. */
  | { kind: 'issue'; host: string; revoke?: string };

/** Why the credential itself is refused (401), if it is. */
export function credentialProblem(c: LauncherCredential, ask: ExchangeAsk): string | undefined {
  if (!c.bootstrap || !sameHash(c.bootstrap.hash, ask.secretHash)) return 'unknown or forged launcher credential';
  if (Date.parse(c.bootstrap.expiresAt) <= ask.now) return 'the launcher credential has expired';
  return undefined;
}

/**
 * Only the latest credential of a live spawn (JobRunning recorded, not stopping), before it
 * expires. The first exchange is issued; the same launcher asking again (its reply was lost),
 * or a new launcher once HTCondor ran the job again, gets a new token and the earlier one is
 * revoked; any other process asking again is refused, and the spawn is failed if still
 * starting: one of the two is not the launcher and may hold the token. `server` is the
 * spawn's server stream.
 */
export function decideTokenExchange(
  credential: LauncherCredential,
  server: readonly EventEnvelope[],
  state: ServerState,
  ask: ExchangeAsk,
  waitedForRun: boolean,
): ExchangeVerdict {
  const problem = credentialProblem(credential, ask);
  if (problem) return { kind: 'refuse', status: 401, message: problem };
  const { spawnId } = ask;
  const running = runningNow(server, spawnId);
  if (
    state.spawnId === spawnId &&
    !running &&
    !waitedForRun &&
    (NOT_YET_RUNNING.has(state.phase) || LIVE.has(state.phase))
  )
    return { kind: 'wait-for-run' };
  if (state.spawnId !== spawnId || !(LIVE.has(state.phase) || NOT_YET_RUNNING.has(state.phase))) {
    const status = state.spawnId === spawnId ? state.phase : 'superseded';
    return { kind: 'refuse', status: 409, message: `that spawn is over (${status})` };
  }
  if (!state.host || !running) {
    return { kind: 'refuse', status: 503, message: 'the job is not known to be running yet; retry in a few seconds' };
  }
  // HTCondor may run the job again (evicted, rescheduled): a new launcher with the same
  // credential and a new key. It counts as the launcher once JobRunning was recorded again.
  const lastRunning = server
    .filter((e) => e.type === 'JobRunning' && (e.data as { spawnId: string }).spawnId === spawnId)
    .at(-1);
  const issued = credential.issued;
  const ranAgain =
    issued !== undefined && lastRunning !== undefined && BigInt(lastRunning.globalPosition) > issued.position;
  if (issued && !ranAgain && !sameHash(issued.launcherKeyHash, ask.launcherKeyHash)) {
    return {
      kind: 'taken',
      host: state.host,
      failSpawn: isPending(state),
      events: [
        newEvent('ApiTokenExchangeRefused', {
          spawnId,
          reason: 'already-exchanged',
          launcherKeyHash: ask.launcherKeyHash,
          remoteAddress: ask.remoteAddress.slice(0, 255),
        }),
      ],
    };
  }
  return { kind: 'issue', host: state.host, ...(issued ? { revoke: issued.tokenId } : {}) };
}

/** The event that records a token handed out on an `issue` verdict. */
export function tokenIssued(ask: ExchangeAsk, tokenId: string): NewEvent {
  return newEvent('ApiTokenIssued', {
    spawnId: ask.spawnId,
    tokenId,
    launcherKeyHash: ask.launcherKeyHash,
    remoteAddress: ask.remoteAddress.slice(0, 255),
  });
}

/** The spawn's job is running as far as the events tell: its latest job state is JobRunning. */
export function runningNow(events: readonly EventEnvelope[], spawnId: string): boolean {
  const last = events
    .filter((e) => JOB_STATES.has(e.type) && (e.data as { spawnId?: string }).spawnId === spawnId)
    .at(-1);
  return last?.type === 'JobRunning';
}

function sameHash(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
