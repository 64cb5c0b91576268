import type { IncomingHttpHeaders } from 'node:http';
import type { KlaxonConfig } from '@klaxon/config';
import { bearerToken } from '@klaxon/service-kit';
import { parseCookie } from 'cookie';
import type { PersonalTokens } from './personal-tokens.ts';
import type { Principal } from './principal.ts';
import { serviceTokens } from './service-tokens.ts';
import { SESSION_COOKIE, type Sessions } from './sessions.ts';

export interface Authenticator {
  /** The caller an `Authorization` header proves, or undefined (no, unknown, revoked or expired token). */
  authenticate(authorization: string | undefined): Promise<Principal | undefined>;
  /**
   * The caller a request's credentials prove: its Bearer token when it has an `Authorization` header, else
   * its console session cookie (when sessions are kept here).
   */
  authenticateRequest(headers: IncomingHttpHeaders): Promise<Principal | undefined>;
  /** The public URL's origin: the one a cookie-authenticated write must come from. */
  readonly publicOrigin: string | undefined;
}

export interface SessionOptions {
  sessions: Sessions;
  /** Where cookie-authenticated writes must come from; a service that serves only reads has none. */
  publicUrl?: string;
}

/**
 * The one place a request's credentials become a caller. A person's role is read from the running
 * configuration at each request, so a person taken out of `contacts` loses access with their tokens
 * and sessions.
 */
export function authenticator(
  config: Pick<KlaxonConfig, 'api' | 'contacts'>,
  personalTokens: PersonalTokens,
  sessionOptions?: SessionOptions,
): Authenticator {
  const service = serviceTokens(config.api.tokens);
  const asPerson = (person: string, extra: Partial<Principal>): Principal | undefined => {
    const contact = Object.hasOwn(config.contacts, person) ? config.contacts[person] : undefined;
    return contact ? { kind: 'person', name: person, role: contact.role, ...extra } : undefined;
  };
  const authenticate = async (authorization: string | undefined) => {
    const presented = bearerToken(authorization);
    if (!presented) return undefined;
    const asService = service(presented);
    if (asService) return asService;
    const owner = await personalTokens.verify(presented);
    return owner && asPerson(owner.person, { tokenId: owner.id });
  };
  return {
    authenticate,
    publicOrigin: sessionOptions?.publicUrl ? new URL(sessionOptions.publicUrl).origin : undefined,
    async authenticateRequest(headers) {
      // A request that names a token stands or falls by it: a bad one does not fall back to a cookie.
      if (headers.authorization !== undefined || !sessionOptions) return authenticate(headers.authorization);
      const cookie = parseCookie(headers.cookie ?? '')[SESSION_COOKIE];
      const live = await sessionOptions.sessions.verify(cookie);
      return live && cookie ? asPerson(live.person, { session: { id: live.id, cookie } }) : undefined;
    },
  };
}
