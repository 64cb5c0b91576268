export interface DurationStats {
  count: number;
  meanSeconds: number | null;
  p50Seconds: number | null;
  p90Seconds: number | null;
}

/** Percentiles by linear interpolation between closest ranks, as PostgreSQL's percentile_cont. */
export function percentileCont(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = p * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 1000) / 1000);

export function durationStats(seconds: number[]): DurationStats {
  const sorted = [...seconds].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : null;
  return {
    count: sorted.length,
    meanSeconds: round(mean),
    p50Seconds: round(percentileCont(sorted, 0.5)),
    p90Seconds: round(percentileCont(sorted, 0.9)),
  };
}
