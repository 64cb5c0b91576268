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
 * Calendar days from one local date to another, from their year, month and day alone: no zone rules
 * needed. luxon's `diff(…, 'days')` gives the same, through zone-aware date arithmetic that is slow
 * (docs/benchmarks.md), paid for every incident opened and every escalation timer.
 */
const calendarDaysBetween = (from: DateTime, to: DateTime) =>
  Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86_400_000);

/**
 * Who is on call at an instant. Handoffs happen at a local wall-clock time, so a shift across a DST
 * change is 23 or 25 hours long: shifts are counted in calendar days, never in multiples of 24 h.
 */
export function onCallAt(schedule: ScheduleSpec, at: Instant): string {
  const atMs = Date.parse(at);
  const override = schedule.overrides.findLast((o) => Date.parse(o.from) <= atMs && atMs < Date.parse(o.to));
  if (override) return override.contact;
  // A handoff is at a local HH:mm, and zones move clocks by whole minutes: the rotation's answer holds for
  // the whole UTC minute. Each answer costs luxon's zone arithmetic (Intl underneath; docs/benchmarks.md), and
  // a storm asks it once per incident opened, nearly always within one minute.
  const minute = Math.floor(atMs / 60_000);
  const known = lastAnswer.get(schedule);
  if (known?.minute === minute) return known.contact;
  const contact = rotationAt(schedule, atMs);
  lastAnswer.set(schedule, { minute, contact });
  return contact;
}

const lastAnswer = new WeakMap<ScheduleSpec, { minute: number; contact: string }>();

function rotationAt(schedule: ScheduleSpec, atMs: number): string {
  const zone = schedule.timezone;
  const [hour, minute] = schedule.handoff.split(':').map(Number) as [number, number];
  const local = DateTime.fromMillis(atMs, { zone });
  // A handoff inside a spring-forward gap happens when the clocks jump, as luxon resolves it.
  const handoffOn = (date: DateTime) =>
    DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour, minute }, { zone });

  let shiftDate = local.startOf('day');
  if (handoffOn(shiftDate).toMillis() > atMs) shiftDate = shiftDate.minus({ days: 1 });
  let startDate = DateTime.fromISO(schedule.start, { zone }).startOf('day');
  if (schedule.rotation === 'weekly') {
    const day = WEEKDAY_NUMBER[schedule.handoffDay];
    shiftDate = shiftDate.minus({ days: (shiftDate.weekday - day + 7) % 7 });
    startDate = startDate.plus({ days: (day - startDate.weekday + 7) % 7 });
  }
  const days = calendarDaysBetween(startDate, shiftDate);
  const shift = schedule.rotation === 'weekly' ? Math.floor(days / 7) : days;
  const n = schedule.members.length;
  return schedule.members[((shift % n) + n) % n]!;
}

export interface Shift {
  contact: string;
  from: Instant;
  to: Instant;
  /** Whether an override, not the rotation, puts this contact on call. */
  override: boolean;
}

/**
 * The shifts of a schedule between two instants, in order: rotation handoffs at the local wall-clock time
 * (so a shift across a DST change is 23 or 25 hours long) cut by overrides. Adjacent pieces with the same
 * contact and kind are merged.
 */
export function shiftsBetween(schedule: ScheduleSpec, from: Instant, to: Instant): Shift[] {
  const fromMs = DateTime.fromISO(from).toMillis();
  const toMs = DateTime.fromISO(to).toMillis();
  if (!(toMs > fromMs)) return [];
  const zone = schedule.timezone;
  const [hour, minute] = schedule.handoff.split(':').map(Number) as [number, number];
  const boundaries = new Set<number>([fromMs, toMs]);
  // Every local day's handoff in range (weekly rotations hand off on one of them; onCallAt decides who).
  for (
    let day = DateTime.fromMillis(fromMs, { zone }).startOf('day').minus({ days: 1 });
    day.toMillis() <= toMs;
    day = day.plus({ days: 1 })
  ) {
    const handoff = DateTime.fromObject(
      { year: day.year, month: day.month, day: day.day, hour, minute },
      { zone },
    ).toMillis();
    if (handoff > fromMs && handoff < toMs) boundaries.add(handoff);
  }
  for (const o of schedule.overrides) {
    for (const edge of [DateTime.fromISO(o.from).toMillis(), DateTime.fromISO(o.to).toMillis()])
      if (edge > fromMs && edge < toMs) boundaries.add(edge);
  }
  const points = [...boundaries].sort((a, b) => a - b);
  const shifts: Shift[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const at = DateTime.fromMillis(points[i]!).toUTC().toISO() as Instant;
    const contact = onCallAt(schedule, at);
    const atMs = points[i]!;
    const override = schedule.overrides.some(
      (o) => DateTime.fromISO(o.from).toMillis() <= atMs && atMs < DateTime.fromISO(o.to).toMillis(),
    );
    const last = shifts.at(-1);
    const end = DateTime.fromMillis(points[i + 1]!)
      .toUTC()
      .toISO() as Instant;
    if (last && last.contact === contact && last.override === override) last.to = end;
    else shifts.push({ contact, from: at, to: end, override });
  }
  return shifts;
}
