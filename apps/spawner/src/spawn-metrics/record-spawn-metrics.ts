import type { EventEnvelope } from '@condorhub/contracts';
import { spawnPhaseSeconds, spawnsTotal } from '@condorhub/metrics';
import type { ServerState } from '@condorhub/server-lifecycle';

/** The milestones of a spawn, by the event that marks each. */
const MILESTONES: Record<string, string> = {
  JobSubmitted: 'submitted',
  JobRunning: 'running',
  PortReported: 'port-reported',
  NotebookResponded: 'notebook-responded',
  ServerReady: 'ready',
  SpawnFailed: 'failed',
};

/**
 * condorhub_spawns_total and condorhub_spawn_phase_seconds for one event the spawner handles,
 * as its handling commits: once per event (the inbox sees to it), whichever service recorded
 * it (ServerReady is usually the proxy's, with RouteAdded). Phases are timed from the
 * spawn's SpawnRequested to the event's recording; stage and diagnosis are the contracts'
 * fixed enums, so the labels stay bounded.
 */
export function recordSpawnMetrics(state: ServerState, handled: EventEnvelope): void {
  const d = handled.data as { spawnId?: string; stage?: string; diagnosis?: string };
  if (handled.type === 'ServerReady') spawnsTotal.inc({ outcome: 'ready', stage: '', diagnosis: '' });
  if (handled.type === 'SpawnFailed')
    spawnsTotal.inc({ outcome: 'failed', stage: d.stage ?? '', diagnosis: d.diagnosis ?? '' });
  const milestone = MILESTONES[handled.type];
  if (!milestone || !state.requestedAt || d.spawnId !== state.spawnId) return;
  const seconds = (Date.parse(handled.recordedAt) - Date.parse(state.requestedAt)) / 1000;
  spawnPhaseSeconds.observe({ milestone }, Math.max(0, seconds));
}
