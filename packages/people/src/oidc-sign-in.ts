import { createHmac, timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { z } from 'zod';
import type { KlaxonConfig } from '@klaxon/config';
import { err, ok, type Result } from '@klaxon/domain';

export type OidcSettings = NonNullable<KlaxonConfig['auth']['oidc']>;

/** What sign-in keeps in the browser between the redirect to the provider and its answer. */
export const PENDING_COOKIE = 'klaxon_oidc';
export const PENDING_LIFETIME_MS = 10 * 60_000;

const pendingSchema = z.object({
  verifier: z.string(),
  state: z.string(),
  nonce: z.string(),
  returnTo: z.string(),
  expires: z.number(),
});
type Pending = z.infer<typeof pendingSchema>;

export type SignInRefusal =
  | { code: 'NoPendingSignIn' }
  | { code: 'ProviderRefused'; message: string }
  | { code: 'NoClaim'; claim: string }
  | { code: 'UnverifiedEmail'; email: string }
  | { code: 'UnknownPerson'; claim: string; value: string };

export interface SignedIn {
  person: string;
  subject: string;
  claim: string;
  /** The console page asked for before sign-in. */
  returnTo: string;
}

export interface OidcSignIn {
  /** Where to send the browser, and the cookie to set for the way back. */
  begin(returnTo: string): Promise<{ redirectTo: URL; pending: string }>;
  /** The person the provider's answer proves, found by the configured claim among the contacts. */
  finish(currentUrl: URL, pending: string | undefined, now: Date): Promise<Result<SignedIn, SignInRefusal>>;
}

/** Only a path of this origin: an open redirect would hand a signed-in browser to anyone's page. */
export const safeReturnPath = (path: unknown): string =>
  typeof path === 'string' && path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') ? path : '/';

/**
 * Authorization code flow with PKCE (and state and nonce) through openid-client. The provider's metadata
 * is discovered at the first sign-in, not at start, so a provider that is down delays sign-in, not Klaxon.
 * The pending PKCE verifier travels in a signed, HttpOnly cookie, so any instance may take the callback.
 */
export function oidcSignIn(options: {
  settings: OidcSettings;
  redirectUri: string;
  contacts: KlaxonConfig['contacts'];
  /** Signs the pending cookie (the link secret, the same on every instance). */
  secret: string;
  now: () => Date;
}): OidcSignIn {
  const { settings, redirectUri, contacts, secret } = options;
  let discovered: Promise<client.Configuration> | undefined;
  const configuration = () => {
    const issuer = new URL(settings.issuer);
    // A plain-HTTP provider only on loopback (a provider run beside Klaxon, or in its tests).
    const loopback = issuer.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(issuer.hostname);
    discovered ??= client
      .discovery(issuer, settings.clientId, settings.clientSecret, undefined, {
        ...(loopback ? { execute: [client.allowInsecureRequests] } : {}),
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  };
  const sign = (payload: string) => createHmac('sha256', secret).update(`oidc\0${payload}`).digest('base64url');
  const seal = (pending: Pending) => {
    const payload = Buffer.from(JSON.stringify(pending)).toString('base64url');
    return `${payload}.${sign(payload)}`;
  };
  const unseal = (sealed: string | undefined, now: Date): Pending | undefined => {
    const [payload, signature] = (sealed ?? '').split('.');
    if (!payload || !signature) return undefined;
    const [a, b] = [Buffer.from(signature), Buffer.from(sign(payload))];
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    const parsed = pendingSchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
    return parsed.success && parsed.data.expires > now.getTime() ? parsed.data : undefined;
  };
  const personBy = (value: string) =>
    Object.entries(contacts).find(([, c]) => c.email?.toLowerCase() === value.toLowerCase())?.[0];

  return {
    async begin(returnTo) {
      const config = await configuration();
      const pending: Pending = {
        verifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
        returnTo: safeReturnPath(returnTo),
        expires: options.now().getTime() + PENDING_LIFETIME_MS,
      };
      const redirectTo = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { redirectTo, pending: seal(pending) };
    },

    async finish(currentUrl, sealed, now) {
      const pending = unseal(sealed, now);
      if (!pending) return err({ code: 'NoPendingSignIn' });
      let claims: Record<string, unknown> & { sub: string };
      try {
        const config = await configuration();
        const tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims();
        if (!idToken) return err({ code: 'ProviderRefused', message: 'the provider sent no ID token' });
        claims = idToken;
        // Providers that follow the core spec to the letter keep scope claims (email) out of the ID token
        // when an access token is issued: then they are asked of UserInfo, for the same subject.
        if (claims[settings.claim] === undefined)
          claims = { ...claims, ...(await client.fetchUserInfo(config, tokens.access_token, claims.sub)) };
      } catch (error) {
        return err({ code: 'ProviderRefused', message: (error as Error).message });
      }
      const value = claims[settings.claim];
      if (typeof value !== 'string' || value === '') return err({ code: 'NoClaim', claim: settings.claim });
      // An address the provider has not verified could be anyone's: it names no one here.
      if (settings.claim === 'email' && claims.email_verified === false)
        return err({ code: 'UnverifiedEmail', email: value });
      const person = personBy(value);
      if (!person) return err({ code: 'UnknownPerson', claim: settings.claim, value });
      return ok({ person, subject: claims.sub, claim: value, returnTo: pending.returnTo });
    },
  };
}
