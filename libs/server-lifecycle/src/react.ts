import { type EventEnvelope, type NewEvent, newEvent, serverPrefix } from '@condorhub/contracts';
import { type FailureDescription, userMessage } from './diagnose';
import { type NodeStrike, nodeStrike } from './quarantine';
import { startRemoval } from './removal';
import type { ServerState } from './server-state';
import { decideStopTimedOut, stopDeadline } from './stop-timeout';
import { type TimerSpec, allTimerKeys, timerKeys } from './timers';

export interface LifecycleSettings {
  idleTimeoutS: number;
  portTimeoutS: number;
  handshakeTimeoutS: number;
  /** Phase deadlines: not submitted, route not added, stop not finished (each stop deadline drives it again). */
  submitDeadlineS: number;
  routeTimeoutS: number;
  stopTimeoutS: number;
  /** Stop deadlines before the server is stopped whatever the removal's state. */
  stopAttempts: number;
}

/** What the spawner does after an event: append, arm/cancel timers, and at most one condor call. */
export interface Reaction {
  append: NewEvent[];
  arm: TimerSpec[];
  cancel: string[];
  submit?: boolean;
  removeJob?: string;
  /** Evidence that the spawn's node, not the user's setup, failed it: count a strike (quarantine.ts). */
  strike?: NodeStrike;
}

const none = (): Reaction => ({ append: [], arm: [], cancel: [] });

const submitDeadline = (spawnId: string, settings: LifecycleSettings): TimerSpec => ({
  key: timerKeys(spawnId).submit,
  dueInS: settings.submitDeadlineS,
  event: newEvent('SubmitTimedOut', { spawnId, waitedS: settings.submitDeadlineS }),
});

/**
 * The deadline of the phase a command has just put the server in (start: `requested`, stop:
 * `stopping`), armed in the command's own transaction: the spawn or stop ends even if every
 * event after it were lost on the way to the spawner.
 */
export function phaseDeadline(state: ServerState, settings: LifecycleSettings): TimerSpec | undefined {
  if (!state.spawnId) return undefined;
  if (state.phase === 'requested') return submitDeadline(state.spawnId, settings);
  if (state.phase === 'stopping') return stopDeadline(state.spawnId, 1, settings);
  return undefined;
}

const STEPS: ServerState['phase'][] = ['requested', 'submitted', 'queued', 'starting', 'port-reported', 'routing'];
const PENDING = new Set(STEPS);

/**
 * The spawn and removal sagas as a pure function of (state after the event, the event).
 * Stale events (another generation, or a phase already left) produce nothing, so a timer that
 * fires late or a redelivered event is harmless.
 */
export function react(state: ServerState, event: EventEnvelope, settings: LifecycleSettings): Reaction {
  const d = event.data as any;
  const r = none();
  // condor_rm follows the event, whatever the generation: an old job must still go.
  if (event.type === 'JobRemovalRequested') {
    r.removeJob = d.jobId;
    return r;
  }
  if (!state.spawnId || d.spawnId !== state.spawnId) return r;
  const spawnId = state.spawnId;
  const keys = timerKeys(spawnId);
  const pending = PENDING.has(state.phase);
  // Reached `phase` or a later step of a live spawn.
  const past = (phase: ServerState['phase']) =>
    state.phase === 'ready' || STEPS.indexOf(state.phase) >= STEPS.indexOf(phase);
  const fail = (f: FailureDescription) => {
    r.append.push(newEvent('SpawnFailed', { spawnId, ...f }));
    // The removal that follows has its deadline from the moment the failure is stored.
    r.arm.push(stopDeadline(spawnId, 1, settings));
  };

  switch (event.type) {
    case 'SpawnRequested':
      if (state.phase === 'requested') r.submit = true;
      break;
    case 'JobSubmitted':
      r.cancel.push(keys.submit);
      if (state.phase === 'stopping' || state.phase === 'stopped') {
        // The stop came while condor_submit was running: the new job must not survive it.
        r.append.push(newEvent('JobRemovalRequested', { spawnId, jobId: d.jobId }));
      } else if (state.phase === 'submitted' || state.phase === 'queued') {
        // (Already running by the time this is handled: no idle timer to arm.)
        r.arm.push({
          key: keys.idle,
          dueInS: settings.idleTimeoutS,
          event: newEvent('IdleTimedOut', { spawnId, waitedS: settings.idleTimeoutS }),
        });
      }
      break;
    case 'JobRunning':
      // A step's timers go once the spawn is past it, even when this event comes late (the
      // port registry may have recorded the answer first): a timer must never outlive its step.
      if (past('starting')) r.cancel.push(keys.idle);
      if (state.phase === 'starting') {
        r.arm.push({
          key: keys.port,
          dueInS: settings.portTimeoutS,
          event: newEvent('PortReportTimedOut', { spawnId, host: d.host, waitedS: settings.portTimeoutS }),
        });
      }
      break;
    case 'PortReported':
      if (past('port-reported')) r.cancel.push(keys.idle, keys.port);
      if (state.phase === 'port-reported') {
        r.arm.push({
          key: keys.handshake,
          dueInS: settings.handshakeTimeoutS,
          event: newEvent('HandshakeFailed', {
            spawnId,
            error: `the notebook did not answer within ${settings.handshakeTimeoutS} s of reporting its port`,
          }),
        });
      }
      break;
    case 'NotebookResponded':
      if (past('routing')) r.cancel.push(keys.idle, keys.port, keys.handshake);
      if (state.phase === 'routing') {
        // (The port registry has usually requested the route already, in its own transaction.)
        r.arm.push({
          key: keys.route,
          dueInS: settings.routeTimeoutS,
          event: newEvent('RouteTimedOut', { spawnId, waitedS: settings.routeTimeoutS }),
        });
      }
      // A first route, or a route moving to a rescheduled job's new target.
      if (state.phase === 'routing' && (!state.routeRequested || state.routeTarget !== new URL(d.url).origin)) {
        r.append.push(
          newEvent('RouteRequested', {
            spawnId,
            routeSpec: serverPrefix(state.user!, state.serverName ?? ''),
            target: new URL(d.url).origin,
            owner: state.user!,
          }),
        );
      }
      break;
    case 'RouteAdded':
      if (state.phase === 'ready') r.cancel.push(keys.route);
      if (state.phase === 'routing') {
        r.append.push(newEvent('ServerReady', { spawnId, url: serverPrefix(state.user!, state.serverName ?? '') }));
      }
      break;
    case 'RouteRemoved':
      // The proxy dropped a live server's route (target reused by another spawn, or the
      // notebook stopped answering): the server is gone for the user, so end it cleanly.
      if (state.phase === 'ready' && !['stopped', 'spawn-failed'].includes(d.reason)) {
        fail({
          stage: 'running',
          diagnosis: 'route-failed',
          userMessage: userMessage('route-failed', `The notebook stopped answering the proxy (${d.reason})`),
        });
      }
      break;
    case 'SubmitTimedOut':
      if (state.phase === 'requested') {
        fail({
          stage: 'submit',
          diagnosis: 'condor-unreachable',
          userMessage: userMessage('condor-unreachable', `The job was not submitted within ${d.waitedS} s`),
        });
      }
      break;
    case 'RouteTimedOut':
      if (state.phase === 'routing') {
        fail({
          stage: 'route',
          diagnosis: 'route-failed',
          userMessage: userMessage('route-failed', `The proxy did not add the route within ${d.waitedS} s`),
        });
      }
      break;
    case 'StopTimedOut': {
      const next = decideStopTimedOut(state, d, settings);
      r.append.push(...next.append);
      r.arm.push(...next.arm);
      break;
    }
    case 'IdleTimedOut':
      if (state.phase === 'submitted' || state.phase === 'queued') {
        fail({
          stage: 'queue',
          diagnosis: 'never-scheduled',
          userMessage: userMessage('never-scheduled', `The job waited ${d.waitedS} s in the queue`),
        });
      }
      break;
    case 'JobHeld':
      if (pending || state.phase === 'ready') {
        fail({
          stage: pending ? 'queue' : 'running',
          diagnosis: 'held-by-condor',
          userMessage: userMessage('held-by-condor', `HoldReason: ${d.holdReason}`),
          detail: d.code === null ? undefined : `HoldReasonCode ${d.code}`,
        });
      }
      break;
    case 'JobRemoved':
      if (pending || state.phase === 'ready') {
        fail({
          stage: pending ? 'queue' : 'running',
          diagnosis: 'removed-by-condor',
          userMessage: userMessage('removed-by-condor', `RemoveReason: ${d.reason || 'none given'}`),
        });
      }
      break;
    case 'JobCompleted':
      if (pending || state.phase === 'ready') {
        fail({
          stage: pending ? 'start' : 'running',
          diagnosis: 'job-exited',
          userMessage: userMessage('job-exited', `The job exited with code ${d.exitCode ?? 'unknown'}`),
        });
      }
      break;
    case 'PortReportTimedOut':
      if (state.phase === 'starting') {
        fail({
          stage: 'port',
          diagnosis: 'node-unresponsive',
          userMessage: state.retryOf
            ? `${d.host} did not report a port within ${d.waitedS} s either, after the first node: as two nodes failed the same way, the cause is more likely in your environment than in the nodes. Check your home directory and Jupyter setup, or ask your site admins.`
            : userMessage('node-unresponsive', `${d.host} did not report a port within ${d.waitedS} s`),
        });
        r.strike = nodeStrike(state, event);
      }
      break;
    case 'HandshakeFailed':
      if (state.phase === 'port-reported') {
        fail({
          stage: 'handshake',
          diagnosis: 'handshake-failed',
          userMessage: userMessage('handshake-failed'),
          detail: d.error ?? (d.status ? `HTTP ${d.status}` : undefined),
        });
      }
      break;
    case 'LauncherReported':
      if (pending) {
        fail({
          stage: 'start',
          diagnosis: d.diagnosis,
          userMessage: userMessage(d.diagnosis, d.message?.replace(/[.\s]+$/, '')),
          detail: d.detail,
          stderrTail: d.stderrTail || undefined,
        });
        r.strike = nodeStrike(state, event);
      }
      break;
    case 'SpawnFailed':
    case 'StopRequested':
      // A second StopRequested on a stopping server drives the removal again (it may be stuck).
      if (state.phase === 'stopping') {
        const removal = startRemoval(state);
        r.cancel.push(...removal.cancel);
        r.append.push(...removal.append);
        r.arm.push(stopDeadline(spawnId, 1, settings));
      }
      break;
    case 'ServerStopped':
      if (state.phase === 'stopped') r.cancel.push(...allTimerKeys(spawnId, settings));
      // One automatic retry elsewhere when a node, not the user's setup, was at fault.
      if (state.failure?.diagnosis === 'node-unresponsive' && !state.retryOf && !state.stopRequestedAt) {
        r.arm.push(submitDeadline(retrySpawnId(spawnId), settings));
        r.append.push(
          newEvent('SpawnRequested', {
            spawnId: retrySpawnId(spawnId),
            user: state.user!,
            serverName: state.serverName ?? '',
            options: state.options ?? {},
            requestedBy: 'condorhub (automatic retry)',
            retryOf: spawnId,
            ...(state.host ? { avoidHosts: [state.host] } : {}),
          }),
        );
      }
      break;
  }
  return r;
}

/** A deterministic id for the retry, so a redelivered ServerStopped cannot start two. */
export function retrySpawnId(spawnId: string): string {
  const hex = spawnId.replace(/-/g, '');
  // Flip bits of the last group: stable, distinct, still uuid-shaped.
  const tail = (BigInt(`0x${hex.slice(20)}`) ^ 0xa5a5a5a5a5a5n).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${tail}`;
}
