/**
 * With CONDORHUB_PROXY_WORKERS > 1 a scrape of /metrics reaches one worker, yet it must show the
 * proxy's figures, not that worker's (counters would jump between scrapes). The worker asks its
 * primary, which collects a snapshot from every worker and sends back their sum.
 */
import cluster, { type Worker } from 'node:cluster';
import { type MetricsSnapshot, mergeSnapshots } from './proxy-metrics';

interface MetricsMessage {
  chMetrics?: 'request' | 'collect' | 'snapshot' | 'result';
  id?: number;
  snapshot?: MetricsSnapshot;
}

/** Primary: answers a worker's request with every worker's snapshot summed (waits `timeoutMs` at most). */
export function aggregateWorkerMetrics(timeoutMs = 1000): void {
  let next = 0;
  const rounds = new Map<number, { want: Set<number>; got: MetricsSnapshot[]; finish: () => void }>();
  cluster.on('message', (worker: Worker, msg: MetricsMessage) => {
    if (msg?.chMetrics === 'request') {
      const id = ++next;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected());
      const round = { want: new Set(workers.map((w) => w.id)), got: [] as MetricsSnapshot[], finish: () => {} };
      const timer = setTimeout(() => round.finish(), timeoutMs);
      round.finish = () => {
        if (!rounds.delete(id)) return;
        clearTimeout(timer);
        // A worker that did not answer in time is left out: a partial sum beats no answer.
        if (worker.isConnected()) worker.send({ chMetrics: 'result', id: msg.id, snapshot: mergeSnapshots(round.got) });
      };
      rounds.set(id, round);
      for (const w of workers) w.send({ chMetrics: 'collect', id });
    } else if (msg?.chMetrics === 'snapshot' && msg.snapshot) {
      const round = rounds.get(msg.id ?? -1);
      if (!round || !round.want.delete(worker.id)) return;
      round.got.push(msg.snapshot);
      if (!round.want.size) round.finish();
    }
  });
}

/**
 * Worker: takes part in the primary's collections, and returns what /metrics shows: the sum
 * from the primary, or this worker's own figures if the primary does not answer in time.
 */
export function workerMetricsSource(
  snapshot: () => MetricsSnapshot,
  timeoutMs = 2000,
): (own: MetricsSnapshot) => Promise<MetricsSnapshot> {
  let next = 0;
  const waiting = new Map<number, (m: MetricsSnapshot) => void>();
  process.on('message', (msg: MetricsMessage) => {
    if (msg?.chMetrics === 'collect') process.send?.({ chMetrics: 'snapshot', id: msg.id, snapshot: snapshot() });
    else if (msg?.chMetrics === 'result' && msg.snapshot) waiting.get(msg.id ?? -1)?.(msg.snapshot);
  });
  return (own) =>
    new Promise((resolve) => {
      const id = ++next;
      const timer = setTimeout(() => {
        waiting.delete(id);
        resolve(own);
      }, timeoutMs);
      waiting.set(id, (merged) => {
        waiting.delete(id);
        clearTimeout(timer);
        resolve(merged);
      });
      process.send?.({ chMetrics: 'request', id });
    });
}
