import type { FeedTokens } from './feed-tokens.ts';

/** The feed URLs a person's active feed token opens: theirs, and every schedule's. */
export interface CalendarLinks {
  person(name: string, token: string): string;
  schedule(name: string, token: string): string;
  /** The person's own feed URL with their active token; null when they have none (see `POST /api/v1/me/calendar-token`). */
  ownUrl(person: string): Promise<string | null>;
  /** A schedule's feed URL with the person's active token; null when they have none. */
  scheduleUrl(person: string, schedule: string): Promise<string | null>;
}

export function calendarLinks(feedTokens: FeedTokens, publicUrl: string): CalendarLinks {
  const person = (name: string, token: string) =>
    `${publicUrl}/api/v1/people/${encodeURIComponent(name)}/calendar.ics?token=${token}`;
  const schedule = (name: string, token: string) =>
    `${publicUrl}/api/v1/schedules/${encodeURIComponent(name)}/calendar.ics?token=${token}`;
  return {
    person,
    schedule,
    async ownUrl(name) {
      const token = await feedTokens.tokenOf(name);
      return token === undefined ? null : person(name, token);
    },
    async scheduleUrl(name, scheduleName) {
      const token = await feedTokens.tokenOf(name);
      return token === undefined ? null : schedule(scheduleName, token);
    },
  };
}
