import { DateTime } from 'luxon';
import { err, ok, type Result } from '../result.ts';
import { parseDuration } from '../time/duration.ts';
import { toInstant, type Instant } from '../time/instant.ts';

const LOCAL_TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;

/**
 * When a take ends, from what a person wrote: an instant (`2026-11-24T08:00:00Z`), a duration from now
 * (`2h`, `1h30m`), or a local wall-clock time (`08:00`), the next one after now in their zone (tomorrow's
 * when today's has passed; luxon puts a time inside a spring-forward gap after the jump).
 */
export function takeUntil(text: string, now: Instant, timezone: string): Result<Instant, string> {
  const input = text.trim();
  const local = LOCAL_TIME.exec(input);
  if (local) {
    const here = DateTime.fromISO(now, { zone: timezone });
    let end = here.set({ hour: Number(local[1]), minute: Number(local[2]), second: 0, millisecond: 0 });
    if (end.toMillis() <= here.toMillis()) end = end.plus({ days: 1 });
    return ok(toInstant(end));
  }
  if (ISO_INSTANT.test(input)) {
    const ms = Date.parse(input);
    return Number.isNaN(ms) ? err(`"${input}" is not a real instant`) : ok(toInstant(ms));
  }
  const duration = parseDuration(input);
  if (duration.ok && duration.value.toMillis() > 0) return ok(toInstant(Date.parse(now) + duration.value.toMillis()));
  return err(`"${input}" is neither an instant (2026-11-24T08:00:00Z), a duration (2h) nor a local time (08:00)`);
}
