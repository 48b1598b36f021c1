import { z } from 'zod';
import { Host, JobId, Port, ServerName, SpawnId, UserName } from '../names';

// Events of one named server (stream `server-<user>/<servername>`). Every event carries
// spawnId: the generation, so late events of an earlier spawn can be told apart.
const spawn = { spawnId: SpawnId };

export const SpawnOptions = z
  .object({
    cpus: z.number().int().min(1).max(256).optional(),
    memoryMb: z.number().int().min(64).max(4_194_304).optional(),
  })
  .strict();

export const FailureStage = z.enum(['submit', 'queue', 'start', 'port', 'handshake', 'route', 'running']);
export const Diagnosis = z.enum([
  'submit-rejected',
  'never-scheduled',
  'removed-by-condor',
  'held-by-condor',
  'job-exited',
  'node-unresponsive',
  'home-over-quota',
  'home-not-writable',
  'runtime-dir-not-writable',
  'bad-user-config',
  // A setting in ~/.jupyter (ip, port, base_url, certfile, password_required) overrides the hub's.
  'user-jupyter-config',
  'port-bind-failure',
  'module-missing',
  'notebook-exited',
  'handshake-failed',
  'route-failed',
  'condor-unreachable',
  // The spawn's one-time launcher credential was used twice (libs/contracts launcher.events.ts).
  'api-token-taken',
  'unknown',
]);

export const serverEvents = {
  SpawnRequested: z.object({
    ...spawn,
    user: UserName,
    serverName: ServerName,
    options: SpawnOptions,
    requestedBy: z.string().min(1),
    retryOf: SpawnId.optional(),
    /** Hosts this spawn must not land on (the node that failed the attempt it retries). */
    avoidHosts: z.array(Host).max(100).optional(),
  }),
  JobSubmitted: z.object({ ...spawn, jobId: JobId, submitHost: z.string().min(1) }),
  JobIdle: z.object({ ...spawn, jobId: JobId, since: z.iso.datetime().optional() }),
  JobRunning: z.object({ ...spawn, jobId: JobId, host: Host, slot: z.string().min(1) }),
  JobHeld: z.object({ ...spawn, jobId: JobId, holdReason: z.string(), code: z.number().int().nullable() }),
  JobRemoved: z.object({ ...spawn, jobId: JobId, reason: z.string() }),
  JobCompleted: z.object({ ...spawn, jobId: JobId, exitCode: z.number().int().nullable() }),
  JobStateUnknown: z.object({ ...spawn, jobId: JobId, error: z.string(), failedQueries: z.number().int().min(1) }),
  IdleTimedOut: z.object({ ...spawn, waitedS: z.number().min(0) }),
  PortReported: z.object({ ...spawn, host: Host, port: Port }),
  PortReportTimedOut: z.object({ ...spawn, host: Host, waitedS: z.number().min(0) }),
  NotebookResponded: z.object({
    ...spawn,
    url: z.url(),
    version: z.string().nullable(),
    status: z.number().int(),
    // How long the handshake waited for this answer, from its first request, and in how many
    // requests: a slow node or a slow notebook start shows here (absent in events before 0.2).
    attempts: z.number().int().min(1).optional(),
    waitedMs: z.number().int().min(0).optional(),
  }),
  HandshakeFailed: z.object({
    ...spawn,
    url: z.url().optional(),
    status: z.number().int().optional(),
    error: z.string().optional(),
  }),
  LauncherReported: z.object({
    ...spawn,
    stage: z.enum(['preflight', 'exit']),
    diagnosis: Diagnosis,
    message: z.string().max(2000),
    exitCode: z.number().int().nullable(),
    stderrTail: z.string().max(16_384),
    host: z.string().max(255).optional(),
    detail: z.string().max(4000).optional(),
  }),
  RouteRequested: z.object({ ...spawn, routeSpec: z.string().startsWith('/'), target: z.url(), owner: UserName }),
  RouteAdded: z.object({ ...spawn, routeSpec: z.string().startsWith('/'), target: z.url() }),
  RouteRemovalRequested: z.object({ ...spawn, routeSpec: z.string().startsWith('/'), reason: z.string() }),
  RouteRemoved: z.object({ ...spawn, routeSpec: z.string().startsWith('/'), reason: z.string() }),
  ServerReady: z.object({ ...spawn, url: z.string().startsWith('/') }),
  SpawnFailed: z.object({
    ...spawn,
    stage: FailureStage,
    diagnosis: Diagnosis,
    userMessage: z.string(),
    detail: z.string().optional(),
    stderrTail: z.string().optional(),
  }),
  StopRequested: z.object({ ...spawn, by: z.string().min(1), reason: z.string() }),
  // Why the culler stopped a ready server (appended with its StopRequested, by: 'culler'):
  // no activity for idleS seconds, or up ageS seconds, past the site's maximum age.
  ServerCulled: z.object({
    ...spawn,
    reason: z.enum(['idle', 'max-age']),
    idleS: z.number().min(0).optional(),
    ageS: z.number().min(0).optional(),
  }),
  JobRemovalRequested: z.object({ ...spawn, jobId: JobId }),
  JobRemovalFailed: z.object({ ...spawn, jobId: JobId, error: z.string(), attempt: z.number().int().min(1) }),
  ServerStopped: z.object({ ...spawn, reason: z.string() }),
  // Phase deadlines (durable timers): the spawn was not submitted, the route not added, or the
  // stop not finished in time. `attempt` counts the stop's deadlines (each drives it again).
  SubmitTimedOut: z.object({ ...spawn, waitedS: z.number().min(0) }),
  RouteTimedOut: z.object({ ...spawn, waitedS: z.number().min(0) }),
  StopTimedOut: z.object({ ...spawn, waitedS: z.number().min(0), attempt: z.number().int().min(1) }),
} as const;

export type SpawnOptions = z.infer<typeof SpawnOptions>;
export type FailureStage = z.infer<typeof FailureStage>;
export type Diagnosis = z.infer<typeof Diagnosis>;
