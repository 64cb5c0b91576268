import { DateTime } from 'luxon';
import type { Instant } from '../time/instant.ts';

export interface ScheduleSpec {
  timezone: string;
  rotation: 'daily' | 'weekly';
  /** Local wall-clock time of the handoff, `HH:mm`. */
  handoff: string;
  handoffDay: 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
  /** Local date of the first shift; the first member takes it. */
  start: string;
  members: string[];
  overrides: Array<{ contact: string; from: Instant; to: Instant }>;
}

const WEEKDAY_NUMBER = { monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7 } as const;

/**
 * Who is on call at an instant. Handoffs happen at a local wall-clock time, so a shift across a DST
 * change is 23 or 25 hours long: shifts are counted in calendar days, never in multiples of 24 h.
 */
export function onCallAt(schedule: ScheduleSpec, at: Instant): string {
  const atMs = DateTime.fromISO(at).toMillis();
  const override = schedule.overrides.findLast((o) => DateTime.fromISO(o.from).toMillis() <= atMs && atMs < DateTime.fromISO(o.to).toMillis());
  if (override) return override.contact;

  const zone = schedule.timezone;
  const [hour, minute] = schedule.handoff.split(':').map(Number) as [number, number];
  const local = DateTime.fromMillis(atMs, { zone });
  // A handoff inside a spring-forward gap happens when the clocks jump, as luxon resolves it.
  const handoffOn = (date: DateTime) => DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour, minute }, { zone });

  let shiftDate = local.startOf('day');
  if (handoffOn(shiftDate).toMillis() > atMs) shiftDate = shiftDate.minus({ days: 1 });
  let startDate = DateTime.fromISO(schedule.start, { zone }).startOf('day');
  if (schedule.rotation === 'weekly') {
    const day = WEEKDAY_NUMBER[schedule.handoffDay];
    shiftDate = shiftDate.minus({ days: (shiftDate.weekday - day + 7) % 7 });
    startDate = startDate.plus({ days: (day - startDate.weekday + 7) % 7 });
  }
  const days = Math.round(shiftDate.diff(startDate, 'days').days);
  const shift = schedule.rotation === 'weekly' ? Math.floor(days / 7) : days;
  const n = schedule.members.length;
  return schedule.members[((shift % n) + n) % n]!;
}
