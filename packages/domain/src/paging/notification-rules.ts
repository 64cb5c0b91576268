import { DateTime } from 'luxon';
import { z } from 'zod';
import { actorSchema } from '../people/actor.ts';
import type { PageTarget } from '../incident/commands.ts';
import type { Severity } from '../severity.ts';
import type { Instant } from '../time/instant.ts';

export type Urgency = 'high' | 'low';

/** P1 and P2 wake people; P3 and P4 wait for their rules and their quiet hours. */
export const defaultUrgency = (severity: Severity): Urgency =>
  severity === 'P1' || severity === 'P2' ? 'high' : 'low';

/** One step of a person's rules: `method` is a method's id or a type (every verified method of that type). */
export interface RuleStep {
  afterMs: number;
  method: string;
}

export interface NotificationRules {
  high?: RuleStep[];
  low?: RuleStep[];
}

/** Local times in the person's zone; `from` after `to` spans midnight. */
export interface QuietHours {
  from: string;
  to: string;
}

/** A rule step with its method resolved to the addresses it pages. */
export interface PlanStep {
  afterMs: number;
  targets: PageTarget[];
}

/** A person's rules as the decider follows them, resolved when the roster is taken. */
export interface PersonalPlan {
  high: PlanStep[];
  low: PlanStep[];
  quietHours?: QuietHours;
  timezone: string;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When the quiet hours around `at` end, or undefined when `at` is not within them. Computed in the
 * person's zone, so a DST change moves the instant, not the local time.
 */
export function quietHoursEnd(quiet: QuietHours, timezone: string, at: Instant): Instant | undefined {
  const local = DateTime.fromISO(at, { zone: timezone });
  const now = local.hour * 60 + local.minute;
  const [from, to] = [minutesOf(quiet.from), minutesOf(quiet.to)];
  const spansMidnight = from > to;
  const inside = spansMidnight ? now >= from || now < to : now >= from && now < to;
  if (!inside) return undefined;
  const day = spansMidnight && now >= from ? local.plus({ days: 1 }) : local;
  const end = day.set({ hour: Math.floor(to / 60), minute: to % 60, second: 0, millisecond: 0 });
  return end.toUTC().toISO() as Instant;
}

/** A person's rules as they set them through the API, in their stream; they replace klaxon.yaml's. */
export const notificationRulesSetSchema = z.object({
  type: z.literal('NotificationRulesSet'),
  data: z.object({
    high: z.array(z.object({ afterMs: z.number().int().nonnegative(), method: z.string().min(1) })).optional(),
    low: z.array(z.object({ afterMs: z.number().int().nonnegative(), method: z.string().min(1) })).optional(),
    quietHours: z.object({ from: z.string(), to: z.string() }).optional(),
    at: z.string().datetime({ offset: true }),
    actor: actorSchema,
  }),
});
export type NotificationRulesSet = z.infer<typeof notificationRulesSetSchema>;
