import type { Pool } from 'pg';

/** How hard the storm pressed on the store: its events per second, on average and at the peak. */
export interface StormRate {
  events: number;
  spanS: number;
  meanPerS: number;
  /** The most events recorded in any one-second window (sliding, per event). */
  peakPerS: number;
  /** The most store transactions that appended, in any one-second window. */
  peakTransactionsPerS: number;
}

/**
 * Every event of the run (a fresh schema holds nothing else), from the first to the last:
 * the load bench:store's `--storm-rate` stands for, measured on the real storm.
 */
export async function stormRate(pool: Pool): Promise<StormRate> {
  const { rows } = await pool.query<{ ms: string; tx: string }>(
    `SELECT (extract(epoch FROM recorded_at) * 1000)::bigint::text AS ms, transaction_id::text AS tx
       FROM events ORDER BY recorded_at`,
  );
  const ms = rows.map((r) => Number(r.ms));
  const txAt = new Map<string, number>();
  for (const r of rows) if (!txAt.has(r.tx)) txAt.set(r.tx, Number(r.ms));
  const spanS = ms.length > 1 ? (ms[ms.length - 1] - ms[0]) / 1000 : 0;
  return {
    events: ms.length,
    spanS,
    meanPerS: spanS > 0 ? ms.length / spanS : ms.length,
    peakPerS: peakInWindow(ms, 1000),
    peakTransactionsPerS: peakInWindow(
      [...txAt.values()].sort((a, b) => a - b),
      1000,
    ),
  };
}

/** The most of the sorted times that fall in any window of `widthMs` starting at one of them. */
export function peakInWindow(sortedMs: number[], widthMs: number): number {
  let peak = 0;
  let end = 0;
  for (let start = 0; start < sortedMs.length; start++) {
    while (end < sortedMs.length && sortedMs[end] < sortedMs[start] + widthMs) end++;
    peak = Math.max(peak, end - start);
  }
  return peak;
}
