import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../src/index.ts';

describe('Prometheus-style durations', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['14d', 14 * 86_400_000],
    ['1h30m', 5_400_000],
    ['1w', 7 * 86_400_000],
    ['250ms', 250],
    ['0', 0],
  ])('%s is %d ms', (input, ms) => {
    const result = parseDuration(input);
    expect(result.ok && result.value.toMillis()).toBe(ms);
  });

  it.each(['', '5', 'm5', '5 m', '1.5h', '30m1h', '5m5m', '-5m', '5M', '1hh'])(
    '"%s" is refused with a reason',
    (input) => {
      const result = parseDuration(input);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error).toMatchObject({ code: 'InvalidDuration', input });
    },
  );

  it('formats back to the same style', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(0)).toBe('0s');
  });
});
