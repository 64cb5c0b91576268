import { z } from 'zod';
import { instantMs, toInstant, type Instant } from '../time/instant.ts';
import { shiftsBetween, type ScheduleSpec } from './schedule.ts';

const instant = z.string().datetime({ offset: true });

/** A person's shift notices, in their stream `shift-notices-<name>`: each shift is noticed once. */
export const shiftNoticeEventSchema = z.object({
  type: z.literal('ShiftNoticeSent'),
  data: z.object({ schedule: z.string(), shiftStart: instant, at: instant }),
});
export type ShiftNoticeEvent = z.infer<typeof shiftNoticeEventSchema>;

export const SHIFT_NOTICES_STREAM_PREFIX = 'shift-notices-';
export const shiftNoticesStream = (person: string): string => `${SHIFT_NOTICES_STREAM_PREFIX}${person}`;

export interface UpcomingShift {
  schedule: string;
  from: Instant;
  to: Instant;
}

const noticeKey = (schedule: string, from: Instant) => `${schedule}@${instantMs(from)}`;

/**
 * The person's shifts that start within `noticeMs` after `now` and were not noticed yet: the notice is due
 * from `noticeMs` before the shift until it starts, so one missed while Klaxon was down still goes out.
 * A shift that merely continues one already running (an override of the same person) is no new shift.
 */
export function dueShiftNotices(
  person: string,
  schedules: Record<string, ScheduleSpec>,
  noticeMs: number,
  now: Instant,
  noticed: ShiftNoticeEvent[],
): UpcomingShift[] {
  const sent = new Set(noticed.map((e) => noticeKey(e.data.schedule, e.data.shiftStart)));
  const dueBy = instantMs(now) + noticeMs;
  // Read past a week beyond, so a weekly shift's end is its own and not the range's.
  const until = toInstant(dueBy + 8 * 86_400_000);
  return Object.entries(schedules).flatMap(([schedule, spec]) =>
    shiftsBetween(spec, now, until)
      .filter(
        (s) =>
          s.contact === person && s.from > now && instantMs(s.from) <= dueBy && !sent.has(noticeKey(schedule, s.from)),
      )
      .map((s) => ({ schedule, from: s.from, to: s.to })),
  );
}

/** When the next notice falls due: `noticeMs` before the person's next shift start, or undefined within `horizonMs`. */
export function nextShiftNoticeAt(
  person: string,
  schedules: Record<string, ScheduleSpec>,
  noticeMs: number,
  now: Instant,
  horizonMs: number,
): number | undefined {
  let next: number | undefined;
  for (const spec of Object.values(schedules)) {
    const first = shiftsBetween(spec, now, toInstant(instantMs(now) + horizonMs)).find(
      (s) => s.contact === person && s.from > now,
    );
    if (first) {
      const due = instantMs(first.from) - noticeMs;
      if (next === undefined || due < next) next = due;
    }
  }
  return next;
}
