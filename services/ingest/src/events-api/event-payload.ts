import { z } from 'zod';

/** Generic events, shaped like PagerDuty Events API v2. `routing_key` is the integration token. */
export const genericEventSchema = z
  .looseObject({
    routing_key: z.string().min(1, 'routing_key is the integration token and is required'),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: z.string().min(1).max(255).optional(),
    payload: z
      .looseObject({
        summary: z.string().min(1).max(1024),
        source: z.string().min(1),
        severity: z.enum(['critical', 'error', 'warning', 'info']),
        timestamp: z.iso.datetime({ offset: true }).optional(),
        component: z.string().optional(),
        group: z.string().optional(),
        class: z.string().optional(),
        custom_details: z.record(z.string(), z.unknown()).optional(),
      })
      .optional(),
    links: z.array(z.object({ href: z.string(), text: z.string().optional() })).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === 'trigger' && !event.payload) {
      ctx.addIssue({ code: 'custom', path: ['payload'], message: 'a trigger event needs a payload' });
    }
    if (event.event_action !== 'trigger' && !event.dedup_key) {
      ctx.addIssue({
        code: 'custom',
        path: ['dedup_key'],
        message: `an ${event.event_action} event needs the dedup_key of the alert it refers to`,
      });
    }
  });

export type GenericEvent = z.infer<typeof genericEventSchema>;
