export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export function percentile(ascending: number[], p: number): number {
  if (!ascending.length) return NaN;
  return ascending[Math.min(ascending.length - 1, Math.ceil((p / 100) * ascending.length) - 1)];
}

export function median(xs: number[]): number {
  const s = sorted(xs);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}
