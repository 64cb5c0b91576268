/**
 * How often one contact may be reached on one channel: at most `burst` messages at once, then one every
 * `everyMs`. What comes meanwhile waits and goes out together, as one bundled message.
 */
export interface ThrottleRule {
  everyMs: number;
  burst: number;
}

/**
 * The generic cell rate algorithm (GCRA), a token bucket kept as one number: the theoretical arrival time
 * `tat` of the next message. A message may go at `now` when `tat - now` leaves room for the burst.
 */
export function throttle(
  rule: ThrottleRule,
  tat: number | undefined,
  now: number,
): { allowed: true; tat: number } | { allowed: false; retryAt: number } {
  const current = Math.max(tat ?? now, now);
  const earliest = current - rule.everyMs * (rule.burst - 1);
  if (earliest > now) return { allowed: false, retryAt: earliest };
  return { allowed: true, tat: current + rule.everyMs };
}
