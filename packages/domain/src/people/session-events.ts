import { z } from 'zod';
import type { PersonEvent } from './personal-token-events.ts';

const instant = z.string().datetime({ offset: true });

/**
 * A console session, in the person's stream next to their tokens: the cookie's secret is kept only as its
 * sha256, so reading the store never yields a usable session. `SessionEnded` is a sign-out; an expired
 * session simply passes its `expiresAt`.
 */
export const sessionEventSchemas = [
  z.object({
    type: z.literal('SessionStarted'),
    data: z.object({
      id: z.string().min(1),
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      via: z.enum(['oidc']),
      /** The provider's `sub` and the claim value the person was found by, for the audit log. */
      subject: z.string().optional(),
      claim: z.string().optional(),
      startedAt: instant,
      expiresAt: instant,
    }),
  }),
  z.object({ type: z.literal('SessionEnded'), data: z.object({ id: z.string().min(1), at: instant }) }),
] as const;

export interface Session {
  id: string;
  hash: string;
  startedAt: string;
  expiresAt: string;
  endedAt?: string;
}

/** A person's sessions as their stream tells; events of other kinds are passed over. */
export function sessionsOf(events: PersonEvent[]): Session[] {
  const sessions = new Map<string, Session>();
  for (const event of events) {
    if (event.type === 'SessionStarted') {
      const { id, hash, startedAt, expiresAt } = event.data;
      sessions.set(id, { id, hash, startedAt, expiresAt });
    } else if (event.type === 'SessionEnded') {
      const session = sessions.get(event.data.id);
      if (session) session.endedAt ??= event.data.at;
    }
  }
  return [...sessions.values()];
}

/** Whether a session still admits its cookie at `now`. */
export const sessionLive = (session: Session, now: string): boolean =>
  session.endedAt === undefined && session.expiresAt > now;
