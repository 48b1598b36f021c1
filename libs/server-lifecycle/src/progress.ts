import type { EventEnvelope } from '@condorhub/contracts';
import { humanDuration } from './cull';

/** Why the culler stopped a server, as the user reads it (ServerCulled). */
export function culledMessage(c: { reason: 'idle' | 'max-age'; idleS?: number; ageS?: number }): string {
  return c.reason === 'idle'
    ? `Stopped by the idle culler after ${humanDuration(c.idleS ?? 0)} without activity`
    : `Stopped by the culler: running ${humanDuration(c.ageS ?? 0)}, past the site's maximum age`;
}

// One human message per stage, as JupyterHub's progress events carry them.
export function stageMessage(e: EventEnvelope, requestedAt?: string): string | undefined {
  const d = e.data as any;
  switch (e.type) {
    case 'SpawnRequested':
      return d.retryOf ? 'Server requested again (retrying on another node)' : 'Server requested';
    case 'JobSubmitted':
      return `Submitted as job ${d.jobId}`;
    case 'JobIdle': {
      const waited = requestedAt
        ? Math.max(0, Math.round((Date.parse(e.recordedAt) - Date.parse(requestedAt)) / 1000))
        : 0;
      return `Waiting in the queue (job ${d.jobId}${waited ? `, ${waited} s so far` : ''})`;
    }
    case 'JobRunning':
      return `Running on ${d.host} (${d.slot})`;
    case 'JobHeld':
      return `Job held by HTCondor: ${d.holdReason}`;
    case 'PortReported':
      return `Notebook reported port ${d.port}`;
    case 'NotebookResponded':
      return `Notebook answers${d.version ? ` (version ${d.version})` : ''}${
        d.attempts && d.attempts > 1
          ? ` after ${d.attempts} requests over ${((d.waitedMs ?? 0) / 1000).toFixed(1)} s`
          : ''
      }`;
    case 'RouteAdded':
      return 'Route added in the proxy';
    case 'ServerReady':
      return 'Server ready';
    case 'SpawnFailed':
      return `Spawn failed: ${d.userMessage}`;
    case 'ServerCulled':
      return culledMessage(d);
    case 'StopRequested':
      return `Stop requested by ${d.by}`;
    case 'ServerStopped':
      return 'Server stopped';
    case 'StrayJobRemoved':
      return `Stray job ${d.jobId} of this spawn ${
        d.outcome === 'marked'
          ? 'removed'
          : d.outcome === 'not-found'
            ? 'was already gone'
            : 'was already being removed'
      } (no live server named it for ${Math.round(d.unnamedForS)} s)`;
    case 'LauncherBootstrapIssued':
      return 'One-time start credential put in the job (the API token is not in the job ad)';
    case 'ApiTokenIssued':
      return `The launcher (${d.remoteAddress}) traded its credential for the server's API token`;
    case 'ApiTokenExchangeRefused':
      return `A second process (${d.remoteAddress}) presented the start credential: refused`;
    default:
      return undefined;
  }
}

/** Percent of the way to ready, for the progress bar. */
export const stageProgress: Record<string, number> = {
  SpawnRequested: 5,
  JobSubmitted: 15,
  JobIdle: 25,
  JobRunning: 50,
  PortReported: 70,
  NotebookResponded: 85,
  RouteAdded: 95,
  ServerReady: 100,
};
