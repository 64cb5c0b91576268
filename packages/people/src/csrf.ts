import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie } from 'cookie';
import { CSRF_COOKIE, CSRF_HEADER, csrfTokenOf } from './sessions.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isWrite = (method: string): boolean => !SAFE_METHODS.has(method.toUpperCase());

const same = (a: string, b: string) => {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Why a write that a session cookie authenticates is refused as possibly cross-site, or undefined. Two
 * independent checks: a same-origin `Origin` (which a browser sets and a page cannot), and the double
 * submit, `X-CSRF-Token` equal to the `klaxon_csrf` cookie, which only a page of this origin can read.
 * Same origin is the public URL's, or the origin of the host the request was sent to.
 */
export function crossSiteRefusal(
  headers: IncomingHttpHeaders,
  sessionCookie: string,
  publicOrigin: string | undefined,
): string | undefined {
  const origin = headers.origin;
  const ownOrigins = [publicOrigin, ...['http', 'https'].map((scheme) => `${scheme}://${headers.host ?? ''}`)];
  if (!origin || !ownOrigins.includes(origin))
    return `a write with a session cookie needs a same-origin Origin header (got ${origin ?? 'none'})`;
  const header = headers[CSRF_HEADER];
  const cookie = parseCookie(headers.cookie ?? '')[CSRF_COOKIE];
  if (typeof header !== 'string' || !cookie || !same(header, cookie))
    return `a write with a session cookie needs the header X-CSRF-Token equal to the cookie ${CSRF_COOKIE}`;
  if (!same(header, csrfTokenOf(sessionCookie))) return `the ${CSRF_COOKIE} cookie is not this session's`;
  return undefined;
}
