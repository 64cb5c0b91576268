import { z } from 'zod';

export const ACTOR_KINDS = ['person', 'service', 'integration', 'phone'] as const;

/** Who did something, as authenticated: a person's token, a service token, an integration, a replying phone. */
export const actorSchema = z.object({ kind: z.enum(ACTOR_KINDS), name: z.string().min(1) });
export type Actor = z.infer<typeof actorSchema>;

/**
 * The authenticated side of a command, copied into its event. `onBehalfOf` is set when an admin acted in
 * another person's name (the event's `by`). Optional, so events written before people had identities still read.
 */
export const actingShape = { actor: actorSchema.optional(), onBehalfOf: z.string().optional() };
export interface Acting {
  actor?: Actor;
  onBehalfOf?: string;
}

/** The acting fields of a command, only those present, for an event's data. */
export const actingOf = ({ actor, onBehalfOf }: Acting): Acting => ({
  ...(actor ? { actor } : {}),
  ...(onBehalfOf !== undefined ? { onBehalfOf } : {}),
});
