/**
 * Gauges read from the store when Prometheus scrapes, not kept up to date on every event:
 * timers due and not fired, quarantined nodes, spawns still pending, and how far the relay
 * and the read models are behind the log. One scrape runs one round of queries, each with a
 * timeout; a round that fails shows NaN (unknown) rather than a stale figure.
 */
import { Gauge, register } from 'prom-client';

interface Queryable {
  query(config: { text: string; values?: unknown[]; query_timeout?: number }): Promise<{ rows: any[] }>;
}

export interface StoreGaugeSource {
  pool: Queryable;
  /** Event processors whose distance behind the log is shown (checkpoint names). */
  processors: string[];
  timeoutMs: number;
}

interface Figures {
  timersDue: number;
  quarantined: number;
  pending: number;
  oldestPendingS: number;
  behind: Record<string, number>;
}

const PENDING_PHASES = ['requested', 'submitted', 'queued', 'starting', 'port-reported', 'routing'];
/** Counting stops here: a projector this far behind is the news, not the exact figure. */
const BEHIND_CAP = 100_000;

let source: StoreGaugeSource | undefined;
let round: Promise<Figures | undefined> | undefined;

/** This process computes the store gauges from `s` (the projector does); returns the undo. */
export function watchStoreGauges(s: StoreGaugeSource): () => void {
  if (source) return () => undefined; // one is enough: a second would count the same rows
  source = s;
  round = undefined;
  // Shown only by the process that computes them: elsewhere a 0 would read as a real figure.
  for (const g of gauges) register.registerMetric(g);
  return () => {
    if (source !== s) return;
    source = undefined;
    for (const g of gauges) register.removeSingleMetric(nameOf(g));
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function query(s: StoreGaugeSource): Promise<Figures> {
  const q = (text: string, values?: unknown[]) =>
    s.pool.query({ text, values, query_timeout: s.timeoutMs }).then((r) => r.rows);
  const [[counts], behind] = await Promise.all([
    q(
      `SELECT
         (SELECT count(*) FROM scheduled_messages
           WHERE fired_at IS NULL AND failed_at IS NULL AND due_at <= now())::float8 AS timers_due,
         (SELECT count(*) FROM nodes WHERE state = 'quarantined')::float8 AS quarantined,
         (SELECT count(*) FROM servers WHERE phase = ANY($1::text[]))::float8 AS pending,
         coalesce((SELECT extract(epoch FROM now() - min(requested_at)) FROM servers
           WHERE phase = ANY($1::text[])), 0)::float8 AS oldest_pending_s`,
      [PENDING_PHASES],
    ),
    q(
      `SELECT p.name AS processor,
         (SELECT count(*) FROM (SELECT 1 FROM events e
            WHERE c.processor IS NULL OR (e.transaction_id, e.global_position) > (c.transaction_id, c.global_position)
            LIMIT ${BEHIND_CAP}) x)::float8 AS behind
       FROM unnest($1::text[]) AS p(name) LEFT JOIN checkpoints c ON c.processor = p.name`,
      [s.processors],
    ),
  ]);
  return {
    timersDue: counts.timers_due,
    quarantined: counts.quarantined,
    pending: counts.pending,
    oldestPendingS: counts.oldest_pending_s,
    behind: Object.fromEntries(behind.map((r) => [r.processor, r.behind])),
  };
}

/** The figures of this scrape: gauges collected together share one round of queries. */
function figures(): Promise<Figures | undefined> | undefined {
  const s = source;
  if (!s) return undefined;
  // Shared while in flight: the gauges of one scrape start together.
  round ??= withTimeout(query(s), s.timeoutMs)
    .catch(() => undefined)
    .finally(() => (round = undefined));
  return round;
}

function storeGauge(name: string, help: string, pick: (f: Figures) => number) {
  return new Gauge({
    name,
    help,
    registers: [],
    async collect() {
      const f = figures();
      if (!f) return;
      const got = await f;
      this.set(got ? pick(got) : NaN);
    },
  });
}

const gauges: Gauge[] = [];
const nameOf = (g: Gauge): string => (g as unknown as { name: string }).name;
gauges.push(
  storeGauge(
    'condorhub_timers_due',
    'Scheduled timers (port, handshake, idle timeouts, removal retries) due and not yet fired.',
    (f) => f.timersDue,
  ),
);
gauges.push(
  storeGauge('condorhub_nodes_quarantined', 'Worker nodes in quarantine (the nodes read model).', (f) => f.quarantined),
);
gauges.push(
  storeGauge(
    'condorhub_spawns_pending',
    'Servers whose spawn is under way (the servers read model).',
    (f) => f.pending,
  ),
);
gauges.push(
  storeGauge(
    'condorhub_spawn_oldest_pending_seconds',
    'Age of the oldest spawn still under way; 0 when none is.',
    (f) => f.oldestPendingS,
  ),
);

gauges.push(
  new Gauge({
    name: 'condorhub_projector_events_behind',
    registers: [],
    help: `Events in the store not yet handled by a processor (relay, read models), counted up to ${BEHIND_CAP}.`,
    labelNames: ['processor'] as const,
    async collect() {
      const s = source;
      const f = figures();
      if (!s || !f) return;
      const got = await f;
      for (const p of s.processors) this.set({ processor: p }, got ? (got.behind[p] ?? NaN) : NaN);
    },
  }),
);

/** Names of the store gauges (the alert rules' check: they are exported, by the projector). */
export const STORE_GAUGE_NAMES = gauges.map(nameOf);
