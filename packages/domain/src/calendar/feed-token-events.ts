import { z } from 'zod';
import { actorSchema } from '../people/actor.ts';

const instant = z.string().datetime({ offset: true });

/**
 * Calendar feed tokens, one stream for all (`calendar-feed-tokens`): a person has at most one active; a
 * new one replaces the last, and a revoked one opens no feed from then on. Only the token's sha256 is kept,
 * and a `nonce` from which the server, with its link secret, derives the token again to show its URL (the
 * feed URL is in `GET /api/v1/me`); a token issued before nonces were kept is verified but not shown.
 */
export const feedTokenEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('FeedTokenIssued'),
    data: z.object({
      person: z.string(),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      nonce: z.string().optional(),
      actor: actorSchema,
      at: instant,
    }),
  }),
  z.object({
    type: z.literal('FeedTokenRevoked'),
    data: z.object({ person: z.string(), actor: actorSchema, at: instant }),
  }),
]);
export type FeedTokenEvent = z.infer<typeof feedTokenEventSchema>;

export const FEED_TOKENS_STREAM = 'calendar-feed-tokens';

/** Each person's active feed token hash, as the stream tells. */
export function activeFeedTokens(events: FeedTokenEvent[]): Map<string, string> {
  const active = new Map<string, string>();
  for (const event of events) {
    if (event.type === 'FeedTokenIssued') active.set(event.data.person, event.data.hash);
    else active.delete(event.data.person);
  }
  return active;
}
