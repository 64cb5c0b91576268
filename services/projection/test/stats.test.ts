import { describe, expect, it } from 'vitest';
import { durationStats, percentileCont } from '../src/kpis/stats.ts';

describe('duration statistics', () => {
  it('interpolates percentiles between ranks, as PostgreSQL percentile_cont does', () => {
    expect(percentileCont([10, 20, 30, 40], 0.5)).toBe(25);
    expect(percentileCont([10, 20, 30, 40], 0.9)).toBeCloseTo(37);
    expect(percentileCont([5], 0.9)).toBe(5);
    expect(percentileCont([], 0.5)).toBeNull();
  });

  it('summarises an empty set as nulls, not zeros', () => {
    expect(durationStats([])).toEqual({ count: 0, meanSeconds: null, p50Seconds: null, p90Seconds: null });
  });
});
