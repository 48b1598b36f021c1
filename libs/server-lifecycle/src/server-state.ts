import type { FailureStage, Diagnosis, SpawnOptions } from '@condorhub/contracts';

// Where one named server is in its lifecycle. `spawnId` is the current generation; events
// of other generations never change the state (a late event of an old spawn is history).
export type ServerPhase =
  | 'none'
  | 'requested' // SpawnRequested, not yet submitted
  | 'submitted' // JobSubmitted
  | 'queued' // JobIdle
  | 'starting' // JobRunning: waiting for the port report
  | 'port-reported' // waiting for the notebook to answer
  | 'routing' // NotebookResponded → RouteRequested, waiting for RouteAdded
  | 'ready'
  | 'stopping' // StopRequested or SpawnFailed: removal under way
  | 'stopped';

export interface ServerFailure {
  stage: FailureStage;
  diagnosis: Diagnosis;
  userMessage: string;
  detail?: string;
  stderrTail?: string;
  at: string;
}

export interface ServerStage {
  type: string;
  at: string;
  message: string;
}

export interface ServerState {
  streamVersion: number;
  user?: string;
  serverName?: string;
  spawnId?: string;
  phase: ServerPhase;
  options?: SpawnOptions;
  requestedBy?: string;
  jobId?: string;
  host?: string;
  slot?: string;
  port?: number;
  /** JobRunning events of this spawn: a new one means HTCondor started the job again (rescheduled). */
  runs?: number;
  /** The last port report: where, and on which run of the job. */
  reported?: { host: string; port: number; run: number };
  target?: string;
  /** The target of the last RouteRequested (a rescheduled job's route moves to a new one). */
  routeTarget?: string;
  routeSpec?: string;
  routeRequested: boolean;
  routeAdded: boolean;
  url?: string;
  notebookVersion?: string | null;
  heldReason?: string;
  /** Failed condor queries in a row (JobStateUnknown); cleared by any known state. */
  unknownSince?: string;
  requestedAt?: string;
  submittedAt?: string;
  runningAt?: string;
  readyAt?: string;
  stopRequestedAt?: string;
  stoppedAt?: string;
  stopReason?: string;
  /** Why the culler stopped this spawn (ServerCulled), if it did. */
  culled?: { reason: 'idle' | 'max-age'; idleS?: number; ageS?: number; at: string };
  failure?: ServerFailure;
  /** Human stages of the current spawn, for the progress stream and the timeline. */
  stages: ServerStage[];
  retryOf?: string;
  avoidHosts?: string[];
  /** What the launcher reported about this spawn, if anything (a silent launcher is node evidence). */
  launcherReport?: { stage: string; diagnosis: string };
}

export const initialServerState = (): ServerState => ({
  streamVersion: 0,
  phase: 'none',
  routeRequested: false,
  routeAdded: false,
  stages: [],
});

export const isActive = (s: ServerState) => s.phase !== 'none' && s.phase !== 'stopped';
export const isPending = (s: ServerState) =>
  ['requested', 'submitted', 'queued', 'starting', 'port-reported', 'routing'].includes(s.phase);
