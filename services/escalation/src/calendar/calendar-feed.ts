import ical, { ICalEventTransparency } from 'ical-generator';
import { shiftsBetween, type Instant, type ScheduleSpec } from '@klaxon/domain';

/** How far ahead a feed reaches; a week back, so this week's shifts stay in view. */
const YEAR_MS = 365 * 86_400_000;
const WEEK_MS = 7 * 86_400_000;

export const feedRange = (now: Date): { from: Instant; to: Instant } => ({
  from: new Date(now.getTime() - WEEK_MS).toISOString(),
  to: new Date(now.getTime() + YEAR_MS).toISOString(),
});

interface FeedShift {
  schedule: string;
  contact: string;
  from: Instant;
  to: Instant;
  override: boolean;
}

/**
 * An iCalendar feed of shifts, each one event marked free (TRANSP:TRANSPARENT): being on call is no
 * meeting, and a feed that made every on-call week "busy" would block the person's calendar. Times are
 * UTC instants, so a shift across a DST change is as long as it is (23 or 25 hours).
 */
function feed(name: string, shifts: FeedShift[], summary: (s: FeedShift) => string, now: Date): string {
  const calendar = ical({ name, prodId: { company: 'Klaxon', product: 'on-call' }, ttl: 3600 });
  for (const s of shifts) {
    calendar.createEvent({
      id: `${s.schedule}/${s.contact}/${s.from}@klaxon`,
      start: new Date(s.from),
      end: new Date(s.to),
      stamp: now,
      summary: summary(s),
      description: s.override
        ? `${s.contact} covers ${s.schedule} (an override)`
        : `${s.contact}'s turn on ${s.schedule}`,
      transparency: ICalEventTransparency.TRANSPARENT,
    });
  }
  return calendar.toString();
}

/** Who is on call on one schedule, shift by shift, overrides included. */
export function scheduleFeed(name: string, schedule: ScheduleSpec, now: Date): string {
  const { from, to } = feedRange(now);
  const shifts = shiftsBetween(schedule, from, to).map((s) => ({ schedule: name, ...s }));
  return feed(`On call: ${name}`, shifts, (s) => `${s.contact} on call (${s.schedule})`, now);
}

/** One person's shifts on every schedule. */
export function personFeed(person: string, schedules: Record<string, ScheduleSpec>, now: Date): string {
  const { from, to } = feedRange(now);
  const shifts = Object.entries(schedules).flatMap(([name, schedule]) =>
    shiftsBetween(schedule, from, to)
      .filter((s) => s.contact === person)
      .map((s) => ({ schedule: name, ...s })),
  );
  return feed(`${person} on call`, shifts, (s) => `On call: ${s.schedule}`, now);
}
