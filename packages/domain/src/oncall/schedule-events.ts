import { z } from 'zod';
import { actorSchema } from '../people/actor.ts';

const instant = z.iso.datetime({ offset: true });

/**
 * A schedule's runtime changes, in its stream `schedule-<name>`: overrides people add and remove through
 * the API, the console, the CLI or an SMS. The YAML `overrides` are not in it; they are merged before these.
 */
export const scheduleEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('OverrideAdded'),
    data: z.object({
      overrideId: z.string().min(1),
      start: instant,
      end: instant,
      person: z.string().min(1),
      replaces: z.string().min(1).optional(),
      reason: z.string().optional(),
      actor: actorSchema,
      at: instant,
    }),
  }),
  z.object({
    type: z.literal('OverrideRemoved'),
    data: z.object({ overrideId: z.string().min(1), actor: actorSchema, at: instant }),
  }),
]);
export type ScheduleEvent = z.infer<typeof scheduleEventSchema>;

export const SCHEDULE_STREAM_PREFIX = 'schedule-';
export const scheduleStream = (name: string): string => `${SCHEDULE_STREAM_PREFIX}${name}`;
