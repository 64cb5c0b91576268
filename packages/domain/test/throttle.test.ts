import { describe, expect, it } from 'vitest';
import { throttle, type ThrottleRule } from '../src/index.ts';

const MIN = 60_000;
const rule: ThrottleRule = { everyMs: MIN, burst: 3 };

/** Sends whenever allowed, at each of the given seconds; returns the seconds at which a message went out. */
function sendsAt(seconds: number[]): number[] {
  let tat: number | undefined;
  const sent: number[] = [];
  for (const s of seconds) {
    const verdict = throttle(rule, tat, s * 1000);
    if (verdict.allowed) {
      tat = verdict.tat;
      sent.push(s);
    }
  }
  return sent;
}

describe('a contact is reached at most once a minute on a channel, after a burst of three', () => {
  it('given 10 pages in the same second, then 3 go out at once and the rest wait', () => {
    expect(sendsAt(Array(10).fill(0))).toEqual([0, 0, 0]);
  });

  it('given a page every 10 seconds for 5 minutes, then 3 at first, then one a minute', () => {
    expect(sendsAt(Array.from({ length: 31 }, (_, i) => i * 10))).toEqual([0, 10, 20, 60, 120, 180, 240, 300]);
  });

  it('given a quiet hour, then the full burst is available again', () => {
    expect(sendsAt([0, 0, 0, 3600, 3600, 3600, 3600])).toEqual([0, 0, 0, 3600, 3600, 3600]);
  });

  it('says when the next message may go', () => {
    let tat: number | undefined;
    for (let i = 0; i < 3; i++) tat = (throttle(rule, tat, 0) as { tat: number }).tat;
    expect(throttle(rule, tat, 1000)).toEqual({ allowed: false, retryAt: MIN });
    expect(throttle(rule, tat, MIN)).toMatchObject({ allowed: true });
  });

  it('a burst of one is a plain rate limit', () => {
    const once: ThrottleRule = { everyMs: MIN, burst: 1 };
    const first = throttle(once, undefined, 0) as { tat: number };
    expect(throttle(once, first.tat, 59_999)).toEqual({ allowed: false, retryAt: MIN });
  });
});
