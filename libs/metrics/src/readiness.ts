/**
 * Readiness: the checks every part of this process registers (store reachable, NATS connected,
 * each durable consumer running). /ready runs them all, each with a timeout, and names each in
 * its answer; one failing makes it 503. Process-wide, so services sharing a process (`npm
 * start`) share one /ready.
 */
import { Gauge } from 'prom-client';

/** Resolves (detail optional) when ready; throws or rejects with the reason when not. */
export type ReadinessCheck = () => Promise<string | void> | string | void;

interface Entry {
  name: string;
  check: ReadinessCheck;
}

const checks = new Set<Entry>();

/** Adds a check named `name`; returns its removal (call it when the part stops). */
export function registerReadinessCheck(name: string, check: ReadinessCheck): () => void {
  const entry = { name, check };
  checks.add(entry);
  return () => void checks.delete(entry);
}

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export async function checkReadiness(timeoutMs = 2_000): Promise<ReadinessReport> {
  const entries = [...checks];
  const results = await Promise.all(
    entries.map(async (e) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const detail = await Promise.race([
          Promise.resolve().then(() => e.check()),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return { ok: true, ...(detail ? { detail } : {}) };
      } catch (error) {
        return { ok: false, detail: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report: ReadinessReport['checks'] = {};
  entries.forEach((e, i) => {
    // Two parts with one name (two replicas of a consumer in a test process): keep both.
    let name = e.name;
    for (let n = 2; name in report; n++) name = `${e.name}#${n}`;
    report[name] = results[i];
  });
  return { status: results.every((r) => r.ok) ? 'ready' : 'not ready', checks: report };
}

let scrapeTimeoutMs = 2_000;
/** How long each check may take, at /ready and at a scrape (CONDORHUB_READY_TIMEOUT_MS). */
export function setReadyTimeout(ms: number): void {
  scrapeTimeoutMs = ms;
}
export const readyTimeout = () => scrapeTimeoutMs;

// /ready's verdict as metrics, so an alert needs nothing but the scrape. The registry collects
// gauges at once, so both share one round of checks.
let round: Promise<ReadinessReport> | undefined;
function scrapeVerdict(): Promise<ReadinessReport> {
  // Shared while in flight: the gauges of one scrape start together.
  round ??= checkReadiness(scrapeTimeoutMs).finally(() => (round = undefined));
  return round;
}

new Gauge({
  name: 'condorhub_ready',
  help: 'Whether every readiness check of this process passes (what GET /ready answers 200 for).',
  async collect() {
    this.set((await scrapeVerdict()).status === 'ready' ? 1 : 0);
  },
});
new Gauge({
  name: 'condorhub_ready_check',
  help: 'Each readiness check of this process at scrape time: 1 passing, 0 failing.',
  labelNames: ['check'] as const,
  async collect() {
    const report = await scrapeVerdict();
    this.reset();
    for (const [name, r] of Object.entries(report.checks)) this.set({ check: name }, r.ok ? 1 : 0);
  },
});
