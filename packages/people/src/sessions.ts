import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { personEventSchema, personStream, sessionLive, sessionsOf, toInstant, type PersonEvent } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Clock } from '@klaxon/service-kit';
import { hashToken, newTokenId } from './token-secret.ts';

export const SESSION_COOKIE = 'klaxon_session';
export const CSRF_COOKIE = 'klaxon_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export interface StartedSession {
  id: string;
  /** The `klaxon_session` cookie: the person's name and the session's secret. */
  cookie: string;
  /** The `klaxon_csrf` cookie, which the console echoes in `X-CSRF-Token`. */
  csrf: string;
  expiresAt: string;
}

export interface LiveSession {
  person: string;
  id: string;
}

/**
 * The CSRF token is derived from the session's secret rather than drawn apart: a `klaxon_csrf` cookie
 * planted by a neighbouring subdomain then matches no session, and nothing more needs keeping.
 */
export const csrfTokenOf = (sessionCookie: string): string =>
  createHash('sha256').update(`klaxon-csrf\0${sessionCookie}`).digest('base64url');

/** `<base64url(person)>.<secret>`: the person says which stream to read, the secret which session it is. */
const parseCookieValue = (value: string): { person: string; secret: string } | undefined => {
  const [person, secret, extra] = value.split('.');
  if (!person || !secret || extra !== undefined) return undefined;
  return { person: Buffer.from(person, 'base64url').toString('utf8'), secret };
};

/**
 * Console sessions kept in the event store, in the person's stream next to their tokens: every instance
 * reads the same ones, and a sign-out on one ends the session on all of them with the next request.
 */
export class Sessions {
  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
  ) {}

  async start(
    person: string,
    ttlMs: number,
    provenance: { subject?: string; claim?: string },
  ): Promise<StartedSession> {
    const secret = randomBytes(32).toString('base64url');
    const cookie = `${Buffer.from(person).toString('base64url')}.${secret}`;
    const id = newTokenId();
    const now = this.clock.now();
    const expiresAt = toInstant(new Date(now.getTime() + ttlMs));
    const started: PersonEvent = {
      type: 'SessionStarted',
      data: { id, hash: hashToken(secret), via: 'oidc', ...provenance, startedAt: toInstant(now), expiresAt },
    };
    await this.append(person, started);
    return { id, cookie, csrf: csrfTokenOf(cookie), expiresAt };
  }

  /** The live session a cookie names: neither signed out nor expired, and its secret the one kept. */
  async verify(cookie: string | undefined): Promise<LiveSession | undefined> {
    const parsed = cookie ? parseCookieValue(cookie) : undefined;
    if (!parsed) return undefined;
    const hash = Buffer.from(hashToken(parsed.secret), 'hex');
    const now = toInstant(this.clock.now());
    const session = sessionsOf(await this.eventsOf(parsed.person)).find((s) =>
      timingSafeEqual(Buffer.from(s.hash, 'hex'), hash),
    );
    if (!session || !sessionLive(session, now)) return undefined;
    return { person: parsed.person, id: session.id };
  }

  /** Signs a session out; an unknown or already ended one is left as it is. */
  async end(cookie: string | undefined): Promise<LiveSession | undefined> {
    const live = await this.verify(cookie);
    if (!live) return undefined;
    await this.append(live.person, { type: 'SessionEnded', data: { id: live.id, at: toInstant(this.clock.now()) } });
    return live;
  }

  private async eventsOf(person: string): Promise<PersonEvent[]> {
    return (await this.store.readStream(personStream(person))).flatMap((e) => {
      const parsed = personEventSchema.safeParse({ type: e.type, data: e.data });
      return parsed.success ? [parsed.data] : [];
    });
  }

  private async append(person: string, event: PersonEvent) {
    const appended = await this.store.append(personStream(person), [event], 'any');
    if (!appended.ok) throw new Error(`appending to ${personStream(person)} failed: ${appended.error.code}`);
  }
}
