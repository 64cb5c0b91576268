import { DateTime } from 'luxon';
import { toInstant, type Instant } from '../time/instant.ts';

export interface ScheduleSpec {
  timezone: string;
  rotation: 'daily' | 'weekly';
  /** Local wall-clock time of the handoff, `HH:mm`. */
  handoff: string;
  handoffDay: 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
  /** Local date of the first shift; the first member takes it. */
  start: string;
  members: string[];
  /** Applied in order: where two overlap, the later one wins (YAML ones first, then the stream's as added). */
  overrides: ScheduleOverride[];
}

/**
 * A person put on call for a window. One from the schedule's stream also says who made it and when it was
 * known: it holds only at instants from `addedAt` until `removedAt`, so a replay of the past sees the
 * roster as it was then. With `replaces`, it holds only where that person would be on call otherwise.
 */
export interface ScheduleOverride {
  contact: string;
  from: Instant;
  to: Instant;
  replaces?: string;
  id?: string;
  actor?: { kind: string; name: string };
  reason?: string;
  addedAt?: Instant;
  removedAt?: Instant;
}

/** Whether an override puts its person on call at an instant, before looking at `replaces`. */
const holdsAt = (o: ScheduleOverride, atMs: number): boolean =>
  Date.parse(o.from) <= atMs &&
  atMs < Date.parse(o.to) &&
  (o.addedAt === undefined || Date.parse(o.addedAt) <= atMs) &&
  (o.removedAt === undefined || atMs < Date.parse(o.removedAt));

/** The override that decides who is on call at an instant, if any, over the rotation's answer. */
function overrideAt(schedule: ScheduleSpec, atMs: number, rotation: () => string): ScheduleOverride | undefined {
  let decided: ScheduleOverride | undefined;
  for (const o of schedule.overrides) {
    if (!holdsAt(o, atMs)) continue;
    if (o.replaces !== undefined && o.replaces !== (decided ? decided.contact : rotation())) continue;
    decided = o;
  }
  return decided;
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
  const override = overrideAt(schedule, atMs, () => cachedRotationAt(schedule, atMs));
  return override ? override.contact : cachedRotationAt(schedule, atMs);
}

function cachedRotationAt(schedule: ScheduleSpec, atMs: number): string {
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
  /** The stream override that does, with who made it and why. */
  overrideId?: string;
  actor?: { kind: string; name: string };
  reason?: string;
  replaces?: string;
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
    for (const edge of [o.from, o.to, o.addedAt, o.removedAt]) {
      const edgeMs = edge === undefined ? undefined : Date.parse(edge);
      if (edgeMs !== undefined && edgeMs > fromMs && edgeMs < toMs) boundaries.add(edgeMs);
    }
  }
  const points = [...boundaries].sort((a, b) => a - b);
  const shifts: Shift[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const atMs = points[i]!;
    const at = toInstant(atMs);
    const decided = overrideAt(schedule, atMs, () => cachedRotationAt(schedule, atMs));
    const contact = decided ? decided.contact : cachedRotationAt(schedule, atMs);
    const end = toInstant(points[i + 1]!);
    const last = shifts.at(-1);
    if (last && last.contact === contact && last.override === Boolean(decided) && last.overrideId === decided?.id)
      last.to = end;
    else
      shifts.push({
        contact,
        from: at,
        to: end,
        override: Boolean(decided),
        ...(decided?.id !== undefined ? { overrideId: decided.id } : {}),
        ...(decided?.actor ? { actor: decided.actor } : {}),
        ...(decided?.reason !== undefined ? { reason: decided.reason } : {}),
        ...(decided?.replaces !== undefined ? { replaces: decided.replaces } : {}),
      });
  }
  return shifts;
}
