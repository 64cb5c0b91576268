import { DateTime } from 'luxon';

/** Instants cross every boundary as ISO-8601 UTC strings; these keep the arithmetic in one place. */
export type Instant = string;

export const toInstant = (date: Date | DateTime | number): Instant => {
  const dt = date instanceof DateTime ? date : typeof date === 'number' ? DateTime.fromMillis(date) : DateTime.fromJSDate(date);
  return dt.toUTC().toISO() as Instant;
};

export const instantMs = (instant: Instant): number => DateTime.fromISO(instant, { setZone: true }).toMillis();

export const addMs = (instant: Instant, ms: number): Instant => toInstant(instantMs(instant) + ms);
