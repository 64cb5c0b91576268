import { DateTime } from 'luxon';

/** Instants cross every boundary as ISO-8601 UTC strings; these keep the arithmetic in one place. */
export type Instant = string;

// The platform's own Date does the hot path (every alert and event takes an instant or two); luxon stays
// for zones and calendars. Both write UTC as `2026-11-23T10:00:00.000Z` and read every ISO-8601 date-time
// with an offset, which is all an Instant may be (zod checks it at the boundary).
export const toInstant = (date: Date | DateTime | number): Instant => {
  if (date instanceof DateTime) return date.toUTC().toISO() as Instant;
  return (typeof date === 'number' ? new Date(date) : date).toISOString();
};

// RFC 3339 in UTC as Go writes it (Alertmanager's startsAt: nanoseconds, `Z`).
const UTC_DATE_TIME = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/;

/**
 * An ISO-8601 date-time with an offset, already checked as one (zod's `z.iso.datetime({ offset: true })`
 * checks the calendar too), as an Instant. A UTC one only needs its fraction cut to milliseconds, which is
 * what Date does with it (it truncates): parsing it into a Date and formatting it back is paid per alert
 * in ingest (docs/benchmarks.md). Any other offset goes through Date.
 */
export const instantOfChecked = (dateTime: string): Instant => {
  const utc = UTC_DATE_TIME.exec(dateTime);
  if (!utc) return new Date(dateTime).toISOString();
  return `${utc[1]}.${`${utc[2] ?? ''}000`.slice(0, 3)}Z`;
};

export const instantMs = (instant: Instant): number => Date.parse(instant);

export const addMs = (instant: Instant, ms: number): Instant => toInstant(instantMs(instant) + ms);

/** The first and last instants every store and every ISO-8601 reader here can hold: years 0001 to 9999 in UTC. */
export const EARLIEST_INSTANT_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT_MS = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Whether a date-time lies within years 0001–9999 once in UTC. `9999-12-31T23:59:59-12:00` is a valid date-time
 * whose UTC form is `+010000-01-01T11:59:59.000Z`: no Instant, and a PostgreSQL TIMESTAMPTZ or JSON reader
 * downstream would refuse it.
 */
export const isInstantInRange = (dateTime: string): boolean => {
  // An offset moves a date by less than a day: only the first and last years need the parse.
  const year = Number(dateTime.slice(0, 4));
  if (year > 1 && year < 9999) return true;
  const ms = Date.parse(dateTime);
  return ms >= EARLIEST_INSTANT_MS && ms <= LATEST_INSTANT_MS;
};
