import { DateTime } from 'luxon';
import { z } from 'zod';
import { actorSchema, type Actor } from '../people/actor.ts';
import { compileMatcher, type Labels, type MatchSpec } from '../routing/label-matcher.ts';
import { instantMs, toInstant, type Instant } from '../time/instant.ts';

const instant = z.string().datetime({ offset: true });
const matchers = z.record(z.string(), z.string());
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

/** The stream of every silence and maintenance window made through the API: who made it, when, and its end. */
export const SILENCES_STREAM = 'silences';

export const windowEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('SilenceAdded'),
    data: z.object({
      id: z.string(),
      matchers,
      start: instant,
      end: instant,
      comment: z.string(),
      actor: actorSchema,
      at: instant,
    }),
  }),
  z.object({
    type: z.literal('MaintenanceAdded'),
    data: z.object({
      id: z.string(),
      matchers,
      every: z.literal('weekly'),
      days: z.array(z.enum(WEEKDAYS)).min(1),
      from: localTime,
      to: localTime,
      timezone: z.string(),
      comment: z.string(),
      actor: actorSchema,
      at: instant,
    }),
  }),
  z.object({ type: z.literal('WindowExpired'), data: z.object({ id: z.string(), actor: actorSchema, at: instant }) }),
]);
export type WindowEvent = z.infer<typeof windowEventSchema>;

interface WindowBase {
  id: string;
  matchers: MatchSpec;
  comment: string;
  /** Who made it; absent for a window of klaxon.yaml. */
  createdBy?: Actor;
  createdAt?: Instant;
  /** When it was expired by hand: nothing matches after that. */
  expiredAt?: Instant;
}

/** A one-off window: from `start` to `end`. */
export type Silence = WindowBase & { kind: 'silence'; start: Instant; end: Instant };
/** A recurring window: on `days`, from `from` to `to` local time in `timezone` (past midnight when `to` ≤ `from`). */
export type Maintenance = WindowBase & {
  kind: 'maintenance';
  every: 'weekly';
  days: Weekday[];
  from: string;
  to: string;
  timezone: string;
};
export type QuietWindow = Silence | Maintenance;

/** The windows the stream tells of, in the order they were made. */
export function windowsOf(events: WindowEvent[]): QuietWindow[] {
  const windows = new Map<string, QuietWindow>();
  for (const event of events) {
    if (event.type === 'WindowExpired') {
      const window = windows.get(event.data.id);
      if (window && window.expiredAt === undefined) windows.set(window.id, { ...window, expiredAt: event.data.at });
      continue;
    }
    if (event.type === 'SilenceAdded') {
      const { actor, at, ...rest } = event.data;
      windows.set(rest.id, { kind: 'silence', ...rest, createdBy: actor, createdAt: at });
    } else {
      const { actor, at, ...rest } = event.data;
      windows.set(rest.id, { kind: 'maintenance', ...rest, createdBy: actor, createdAt: at });
    }
  }
  return [...windows.values()];
}

/** One stretch of time a window holds: `start` inclusive, `end` exclusive. */
export interface Occurrence {
  start: Instant;
  end: Instant;
}

const WEEKDAY_NUMBER: Record<Weekday, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/** The occurrence of a weekly window that starts on the local day `day`; luxon moves a time in a DST gap forward. */
function occurrenceOn(w: Maintenance, day: DateTime): Occurrence {
  const [fh, fm] = w.from.split(':').map(Number) as [number, number];
  const [th, tm] = w.to.split(':').map(Number) as [number, number];
  const start = day.set({ hour: fh, minute: fm, second: 0, millisecond: 0 });
  const endDay = w.to <= w.from ? day.plus({ days: 1 }) : day;
  const end = endDay.set({ hour: th, minute: tm, second: 0, millisecond: 0 });
  return { start: toInstant(start), end: toInstant(end) };
}

/** The occurrence holding `at`, if the window holds then. Local days are counted in the window's zone. */
export function occurrenceAt(w: QuietWindow, at: Instant): Occurrence | undefined {
  const atMs = instantMs(at);
  if (w.expiredAt !== undefined && atMs >= instantMs(w.expiredAt)) return undefined;
  const within = (o: Occurrence) => atMs >= instantMs(o.start) && atMs < instantMs(o.end);
  const cut = (o: Occurrence): Occurrence =>
    w.expiredAt !== undefined && instantMs(w.expiredAt) < instantMs(o.end) ? { ...o, end: w.expiredAt } : o;
  if (w.kind === 'silence') return within(w) ? cut({ start: w.start, end: w.end }) : undefined;
  const today = DateTime.fromMillis(atMs, { zone: w.timezone }).startOf('day');
  // Today's occurrence, or yesterday's running past midnight.
  for (const day of [today, today.minus({ days: 1 })]) {
    if (!w.days.some((d) => WEEKDAY_NUMBER[d] === day.weekday)) continue;
    const o = occurrenceOn(w, day);
    if (within(o)) return cut(o);
  }
  return undefined;
}

/** Why an incident pages nobody: the window that holds, and until when. */
export interface Suppression {
  windowId: string;
  until: Instant;
}

/**
 * The window that keeps quiet an alert with these labels at `at`, if any: of several, the one that holds
 * longest, so paging waits until none holds. A window without matchers matches nothing, not everything.
 */
export function suppressionAt(windows: readonly QuietWindow[], labels: Labels, at: Instant): Suppression | undefined {
  let best: Suppression | undefined;
  for (const w of windows) {
    if (Object.keys(w.matchers).length === 0) continue;
    const matcher = compileMatcher(w.matchers);
    if (!matcher.ok || !matcher.value.matches(labels)) continue;
    const o = occurrenceAt(w, at);
    if (o && (best === undefined || instantMs(o.end) > instantMs(best.until))) best = { windowId: w.id, until: o.end };
  }
  return best;
}

/** Whether a window still has an occurrence at or after `at` (a silence not yet over, any weekly one not expired). */
export const isWindowCurrent = (w: QuietWindow, at: Instant): boolean =>
  w.expiredAt === undefined && (w.kind === 'maintenance' || instantMs(w.end) > instantMs(at));
