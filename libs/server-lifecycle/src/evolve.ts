import type { EventEnvelope } from '@condorhub/contracts';
import { stageMessage } from './progress';
import { type ServerState, initialServerState } from './server-state';

/** Folds one event into a server's state. Pure. */
export function evolve(state: ServerState, event: EventEnvelope): ServerState {
  const d = event.data as any;
  const at = event.recordedAt;
  const next: ServerState = { ...state, streamVersion: event.streamVersion };

  if (event.type === 'SpawnRequested') {
    return {
      ...initialServerState(),
      streamVersion: event.streamVersion,
      user: d.user,
      serverName: d.serverName,
      spawnId: d.spawnId,
      phase: 'requested',
      options: d.options,
      requestedBy: d.requestedBy,
      requestedAt: at,
      retryOf: d.retryOf,
      avoidHosts: d.avoidHosts,
      stages: [{ type: event.type, at, message: stageMessage(event)! }],
    };
  }
  // Another generation's event: history, not state.
  if (!state.spawnId || d.spawnId !== state.spawnId) return next;

  const message = stageMessage(event, state.requestedAt);
  if (message && state.phase !== 'stopped') next.stages = [...state.stages, { type: event.type, at, message }];
  const pending = ['requested', 'submitted', 'queued', 'starting', 'port-reported', 'routing'].includes(state.phase);

  switch (event.type) {
    case 'JobSubmitted':
      next.jobId = d.jobId;
      next.submittedAt = at;
      if (state.phase === 'requested') next.phase = 'submitted';
      break;
    case 'JobIdle':
      next.heldReason = undefined;
      next.unknownSince = undefined;
      if (state.phase === 'submitted' || state.phase === 'requested') next.phase = 'queued';
      break;
    case 'JobRunning':
      next.host = d.host;
      next.slot = d.slot;
      next.runningAt = at;
      next.runs = (state.runs ?? 0) + 1;
      next.heldReason = undefined;
      next.unknownSince = undefined;
      if (['requested', 'submitted', 'queued'].includes(state.phase)) next.phase = 'starting';
      break;
    case 'JobHeld':
      next.heldReason = d.holdReason;
      break;
    case 'LauncherReported':
      next.launcherReport = { stage: d.stage, diagnosis: d.diagnosis };
      break;
    case 'JobStateUnknown':
      next.unknownSince ??= at;
      break;
    case 'PortReported':
      next.port = d.port;
      next.host = d.host;
      next.reported = { host: d.host, port: d.port, run: state.runs ?? 0 };
      if (state.phase === 'starting' || state.phase === 'queued' || state.phase === 'submitted') {
        next.phase = 'port-reported';
      } else if (['port-reported', 'routing', 'ready'].includes(state.phase)) {
        // The job runs again (rescheduled, or its launcher restarted) with a new port: the
        // handshake proves the new target before the route moves there; the old route stays
        // until then.
        next.phase = 'port-reported';
      }
      break;
    case 'NotebookResponded':
      next.notebookVersion = d.version;
      next.target = new URL(d.url).origin;
      if (state.phase === 'port-reported') next.phase = 'routing';
      break;
    case 'RouteRequested':
      next.routeRequested = true;
      next.routeSpec = d.routeSpec;
      next.target = d.target;
      next.routeTarget = d.target;
      // Waiting for the proxy to confirm this request (a moved route is confirmed again).
      next.routeAdded = false;
      break;
    case 'RouteAdded':
      next.routeAdded = true;
      break;
    case 'RouteRemoved':
      next.routeAdded = false;
      break;
    case 'ServerReady':
      next.url = d.url;
      next.readyAt = at;
      if (state.phase === 'routing') next.phase = 'ready';
      break;
    case 'SpawnFailed':
      next.failure = {
        stage: d.stage,
        diagnosis: d.diagnosis,
        userMessage: d.userMessage,
        detail: d.detail,
        stderrTail: d.stderrTail,
        at,
      };
      if (pending || state.phase === 'ready') next.phase = 'stopping';
      break;
    case 'ServerCulled':
      next.culled = { reason: d.reason, idleS: d.idleS, ageS: d.ageS, at };
      break;
    case 'StopRequested':
      next.stopRequestedAt = at;
      next.stopReason = d.reason;
      if (pending || state.phase === 'ready') next.phase = 'stopping';
      break;
    case 'ServerStopped':
      next.phase = 'stopped';
      next.stoppedAt = at;
      next.stopReason ??= d.reason;
      next.routeRequested = false;
      break;
  }
  return next;
}

export function foldServer(events: EventEnvelope[], state = initialServerState()): ServerState {
  return events.reduce(evolve, state);
}
