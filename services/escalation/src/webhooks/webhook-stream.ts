import { z } from 'zod';
import { actorSchema } from '@klaxon/domain';

/** Where a webhook's deliverer keeps how far it got: `webhook-<name>` in the event store. */
export const webhookStream = (name: string): string => `webhook-${name}`;

const position = z.string().regex(/^\d+$/);
const instant = z.iso.datetime({ offset: true });
/** Every fact carries the whole of what a restart needs: the last one read is the state. */
const kept = {
  /** The store position of the last event done with (delivered, not wanted, or dead-lettered); absent: none yet. */
  position: position.optional(),
  /** Since when every attempt has failed; absent while the receiver takes deliveries. */
  failingSince: instant.optional(),
};

export const webhookKeptEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('WebhookCheckpointed'), data: z.object(kept) }),
  z.object({
    type: z.literal('WebhookDeadLettered'),
    data: z.object({
      ...kept,
      messageId: z.string(),
      eventType: z.string(),
      incidentId: z.string().optional(),
      attempts: z.number().int().positive(),
      lastError: z.string(),
      at: instant,
    }),
  }),
  /** A replay: delivery starts again after `position` (absent: from the start of history). */
  z.object({
    type: z.literal('WebhookRewound'),
    data: z.object({ ...kept, from: instant, actor: actorSchema, at: instant }),
  }),
]);
export type WebhookKeptEvent = z.infer<typeof webhookKeptEventSchema>;

export interface WebhookPosition {
  position: bigint | undefined;
  failingSince?: string;
}

export const positionOf = (event: WebhookKeptEvent): WebhookPosition => ({
  position: event.data.position === undefined ? undefined : BigInt(event.data.position),
  ...(event.data.failingSince ? { failingSince: event.data.failingSince } : {}),
});

export const keptData = (p: WebhookPosition) => ({
  ...(p.position !== undefined ? { position: p.position.toString() } : {}),
  ...(p.failingSince ? { failingSince: p.failingSince } : {}),
});
