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

export const instantMs = (instant: Instant): number => Date.parse(instant);

export const addMs = (instant: Instant, ms: number): Instant => toInstant(instantMs(instant) + ms);
