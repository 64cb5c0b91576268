import { z } from 'zod';
import { actorSchema } from './actor.ts';
import { sessionEventSchemas } from './session-events.ts';

const instant = z.string().datetime({ offset: true });

/**
 * A person's personal tokens, in their stream `person-<name>`. Only the token's sha256 is kept: the token
 * itself is shown once, to whoever created it. `PersonalTokenUsed` is written at most once a day per token
 * and instance, so the last use survives restarts without a write per request.
 */
export const personEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('PersonalTokenCreated'),
    data: z.object({
      id: z.string().min(1),
      name: z.string().min(1),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      createdAt: instant,
      expiresAt: instant,
      actor: actorSchema,
    }),
  }),
  z.object({
    type: z.literal('PersonalTokenRevoked'),
    data: z.object({ id: z.string(), at: instant, actor: actorSchema }),
  }),
  z.object({ type: z.literal('PersonalTokenUsed'), data: z.object({ id: z.string(), at: instant }) }),
  ...sessionEventSchemas,
]);
export type PersonEvent = z.infer<typeof personEventSchema>;

export const PERSON_STREAM_PREFIX = 'person-';
export const personStream = (name: string): string => `${PERSON_STREAM_PREFIX}${name}`;

export interface PersonalToken {
  id: string;
  name: string;
  hash: string;
  createdAt: string;
  expiresAt: string;
  createdBy: z.infer<typeof actorSchema>;
  revokedAt?: string;
  lastUsedAt?: string;
}

/** A person's tokens as their stream tells, oldest first. */
export function personalTokensOf(events: PersonEvent[]): PersonalToken[] {
  const tokens = new Map<string, PersonalToken>();
  for (const event of events) {
    if (event.type === 'PersonalTokenCreated') {
      const { id, name, hash, createdAt, expiresAt, actor } = event.data;
      tokens.set(id, { id, name, hash, createdAt, expiresAt, createdBy: actor });
      continue;
    }
    if (event.type !== 'PersonalTokenRevoked' && event.type !== 'PersonalTokenUsed') continue;
    const token = tokens.get(event.data.id);
    if (!token) continue;
    if (event.type === 'PersonalTokenRevoked') token.revokedAt ??= event.data.at;
    else if (!token.lastUsedAt || event.data.at > token.lastUsedAt) token.lastUsedAt = event.data.at;
  }
  return [...tokens.values()];
}
