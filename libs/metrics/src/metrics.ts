/**
 * condorhub's Prometheus metrics, one set per process (prom-client's default registry): when
 * every service runs in one process (`npm start`) one /metrics shows them all. Recording is a
 * counter increment or a histogram observation with fixed, bounded label values; the gauges
 * that need a query (timers due, quarantined nodes, lag) are computed at scrape time.
 */
import { Counter, Histogram, register } from 'prom-client';

export { register as metricsRegistry };

/** Spawn phases take seconds to minutes (queue waits), so the buckets reach an hour. */
const SPAWN_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];
const CALL_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export const spawnsTotal = new Counter({
  name: 'condorhub_spawns_total',
  help: 'Spawns that ended, by outcome (ready, failed), failure stage and diagnosis ("" when ready).',
  labelNames: ['outcome', 'stage', 'diagnosis'] as const,
});

export const spawnPhaseSeconds = new Histogram({
  name: 'condorhub_spawn_phase_seconds',
  help: 'Time from SpawnRequested to each milestone of a spawn, recorded by the spawner when it handles it.',
  labelNames: ['milestone'] as const,
  buckets: SPAWN_BUCKETS,
});

export const condorCommandSeconds = new Histogram({
  name: 'condorhub_condor_command_duration_seconds',
  help: 'HTCondor tool runs, by tool and outcome (ok, exit-nonzero, timeout, spawn-error, output-too-large).',
  labelNames: ['command', 'outcome'] as const,
  buckets: CALL_BUCKETS,
});

export const relayLagSeconds = new Histogram({
  name: 'condorhub_relay_lag_seconds',
  help: 'Time from an event being recorded in the store to JetStream acknowledging its publish.',
  buckets: LAG_BUCKETS,
});

export const consumerRedeliveries = new Counter({
  name: 'condorhub_consumer_redeliveries_total',
  help: 'Events a durable consumer handled again after a failure or an ack timeout, by consumer.',
  labelNames: ['consumer'] as const,
});

export const consumerDeadLetters = new Counter({
  name: 'condorhub_consumer_dead_letters_total',
  help: 'Events a durable consumer gave up on and sent to its dead-letter subject, by consumer.',
  labelNames: ['consumer'] as const,
});

export const serversCulled = new Counter({
  name: 'condorhub_servers_culled_total',
  help: 'Servers the idle culler stopped (ServerCulled appended), by reason (idle, max-age).',
  labelNames: ['reason'] as const,
});

/** The outcome label of a condor tool run: from its exit status, or the error that left none. */
export function condorOutcome(result: { exitCode: number | null } | undefined, error?: unknown): string {
  if (result) return result.exitCode === 0 ? 'ok' : 'exit-nonzero';
  const name = (error as Error | undefined)?.name ?? '';
  if (/Timeout/.test(name)) return 'timeout';
  if (/OutputTooLarge/.test(name)) return 'output-too-large';
  if (/Spawn/.test(name)) return 'spawn-error';
  return 'error';
}

/** Times one condor tool run (libs/condor run-condor-command), whatever its ending. */
export function observeCondorCall<T extends { exitCode: number | null }>(command: string, run: Promise<T>): Promise<T> {
  const end = condorCommandSeconds.startTimer({ command });
  run.then(
    (r) => end({ outcome: condorOutcome(r) }),
    (e) => end({ outcome: condorOutcome(undefined, e) }),
  );
  return run;
}

/** Relay lag of a batch the moment its publishes were acknowledged. */
export function observeRelayLag(events: readonly { recordedAt: string }[]): void {
  const now = Date.now();
  for (const e of events) relayLagSeconds.observe(Math.max(0, (now - Date.parse(e.recordedAt)) / 1000));
}
