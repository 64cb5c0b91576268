import { Duration } from 'luxon';
import { err, ok, type Result } from '../result.ts';

// Prometheus duration syntax: one or more <int><unit> in descending unit order, e.g. 90s, 1h30m, 14d.
const UNIT_MS = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
} as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_ORDER: Unit[] = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const PART = /(\d+)(ms|y|w|d|h|m|s)/y;

export interface DurationError {
  code: 'InvalidDuration';
  input: string;
  message: string;
}

export function parseDuration(input: string): Result<Duration, DurationError> {
  const fail = (message: string) => err<DurationError>({ code: 'InvalidDuration', input, message });
  if (input === '0') return ok(Duration.fromMillis(0));
  if (input.length === 0) return fail('empty duration');
  PART.lastIndex = 0;
  let total = 0;
  let lastUnitIndex = -1;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) {
      return fail(`not a duration like 30s, 5m, 2h or 1h30m at "${input.slice(start)}"`);
    }
    const unit = match[2] as Unit;
    const unitIndex = UNIT_ORDER.indexOf(unit);
    if (unitIndex <= lastUnitIndex)
      return fail(`units must appear once each, largest first (got "${unit}" after a smaller or equal unit)`);
    lastUnitIndex = unitIndex;
    total += Number(match[1]) * UNIT_MS[unit];
  }
  if (!Number.isSafeInteger(total)) return fail('duration is too large');
  return ok(Duration.fromMillis(total));
}

/** Renders milliseconds back in Prometheus style, for messages people read. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNIT_ORDER) {
    const size = UNIT_MS[unit];
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
