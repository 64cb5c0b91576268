import type { CookieOptions, Response, Router } from 'express';
import { parseCookie } from 'cookie';
import type { KlaxonConfig } from '@klaxon/config';
import {
  CSRF_COOKIE,
  crossSiteRefusal,
  PENDING_COOKIE,
  PENDING_LIFETIME_MS,
  SESSION_COOKIE,
  type OidcSignIn,
  type Sessions,
  type SignInRefusal,
} from '@klaxon/people';
import type { Clock, Logger } from '@klaxon/service-kit';
import { escapeHtml, PLAIN_PAGE_POLICY, plainPage } from './plain-page.ts';

export interface AuthRouteDeps {
  auth: KlaxonConfig['auth'];
  /** Absent without `auth.oidc`: the console then signs in with a token. */
  signIn: OidcSignIn | undefined;
  sessions: Sessions;
  publicUrl: string;
  clock: Clock;
  logger: Logger;
}

const refusalPage = (refusal: SignInRefusal): { status: number; title: string; body: string } => {
  switch (refusal.code) {
    case 'UnknownPerson':
      return {
        status: 403,
        title: 'Not a Klaxon person',
        body:
          `<p>You signed in as <strong>${escapeHtml(refusal.value)}</strong>, and no one in Klaxon's contacts has that ${escapeHtml(refusal.claim === 'email' ? 'email' : `${refusal.claim}`)}.</p>` +
          `<p>Ask a Klaxon admin to add you to <code>contacts</code> in <code>klaxon.yaml</code> with this email, then <a href="/auth/login">sign in again</a>.</p>`,
      };
    case 'UnverifiedEmail':
      return {
        status: 403,
        title: 'Email not verified',
        body: `<p>Your provider has not verified <strong>${escapeHtml(refusal.email)}</strong>, so it cannot name you here.</p>`,
      };
    case 'NoClaim':
      return {
        status: 403,
        title: 'Sign-in refused',
        body: `<p>The provider's answer has no <code>${escapeHtml(refusal.claim)}</code> claim to find you by. Ask an admin to check <code>auth.oidc.claim</code> and the scopes.</p>`,
      };
    case 'NoPendingSignIn':
      return {
        status: 400,
        title: 'Sign-in expired',
        body: '<p>This sign-in was not started here, or took too long. <a href="/auth/login">Sign in again</a>.</p>',
      };
    case 'ProviderRefused':
      return {
        status: 400,
        title: 'Sign-in refused',
        body: `<p>${escapeHtml(refusal.message)}</p><p><a href="/auth/login">Sign in again</a>.</p>`,
      };
  }
};

/**
 * `GET /auth/login` → the OpenID Provider → `GET /auth/callback` → a session cookie; `POST /auth/logout`
 * ends the session in the store, so the cookie is worthless from then on wherever it is replayed.
 */
export function authRoutes(routes: Router, deps: AuthRouteDeps): void {
  const secure = new URL(deps.publicUrl).protocol === 'https:';
  const base: CookieOptions = { sameSite: 'lax', secure, path: '/' };
  const html = (res: Response, status: number, title: string, body: string) =>
    void res
      .status(status)
      .set('Cache-Control', 'no-store')
      .set('Content-Security-Policy', PLAIN_PAGE_POLICY)
      .type('html')
      .send(plainPage(title, body));
  const notConfigured = (res: Response) =>
    html(
      res,
      404,
      'Single sign-on is not set up',
      '<p>This Klaxon has no <code>auth.oidc</code>: <a href="/">sign in with a token</a>.</p>',
    );

  routes.get('/auth/login', async (req, res) => {
    if (!deps.signIn) return notConfigured(res);
    try {
      const { redirectTo, pending } = await deps.signIn.begin(String(req.query.return ?? '/'));
      res.cookie(PENDING_COOKIE, pending, {
        ...base,
        httpOnly: true,
        path: '/auth',
        maxAge: PENDING_LIFETIME_MS,
      });
      res.set('Cache-Control', 'no-store').redirect(303, redirectTo.href);
    } catch (error) {
      deps.logger.error({ err: error }, 'the OpenID Provider could not be reached for sign-in');
      html(res, 503, 'Sign-in unavailable', '<p>The sign-in provider does not answer. Try again in a moment.</p>');
    }
  });

  routes.get('/auth/callback', async (req, res) => {
    if (!deps.signIn) return notConfigured(res);
    const pending = parseCookie(req.headers.cookie ?? '')[PENDING_COOKIE];
    res.clearCookie(PENDING_COOKIE, { ...base, path: '/auth' });
    const current = new URL(`${deps.publicUrl}/auth/callback${new URL(req.originalUrl, 'http://x').search}`);
    const result = await deps.signIn.finish(current, pending, deps.clock.now());
    if (!result.ok) {
      deps.logger.warn({ refusal: result.error }, 'console sign-in refused');
      const { status, title, body } = refusalPage(result.error);
      return html(res, status, title, body);
    }
    const { person, subject, claim, returnTo } = result.value;
    const session = await deps.sessions.start(person, deps.auth.sessionTtl, { subject, claim });
    res.cookie(SESSION_COOKIE, session.cookie, { ...base, httpOnly: true, maxAge: deps.auth.sessionTtl });
    // Readable by the console's own scripts, which echo it in X-CSRF-Token; no other origin can read it.
    res.cookie(CSRF_COOKIE, session.csrf, { ...base, httpOnly: false, maxAge: deps.auth.sessionTtl });
    deps.logger.info({ person, sessionId: session.id }, 'signed in to the console');
    res.set('Cache-Control', 'no-store').redirect(303, returnTo);
  });

  routes.post('/auth/logout', async (req, res) => {
    const cookie = parseCookie(req.headers.cookie ?? '')[SESSION_COOKIE];
    if (cookie) {
      const crossSite = crossSiteRefusal(req.headers, cookie, new URL(deps.publicUrl).origin);
      if (crossSite) return void res.status(403).json({ error: crossSite, required: 'same-origin' });
      const ended = await deps.sessions.end(cookie);
      if (ended) deps.logger.info({ person: ended.person, sessionId: ended.id }, 'signed out of the console');
    }
    res.clearCookie(SESSION_COOKIE, { ...base, httpOnly: true });
    res.clearCookie(CSRF_COOKIE, base);
    res.status(204).end();
  });
}
