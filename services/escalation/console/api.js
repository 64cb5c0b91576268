// The console's one way to Klaxon's API. Signed in with a token, the token lives in this browser session
// only (sessionStorage), is sent as a Bearer header, and is never put in a URL. Signed in through single
// sign-on, the browser holds an HttpOnly session cookie instead, and every write echoes the klaxon_csrf
// cookie in X-CSRF-Token, which Klaxon compares (with the Origin) before it accepts the write.
const KEY = 'klaxon-token';

/** `oidc` when this Klaxon signs in through an OpenID Provider, else `token`. */
export const signInMode = () => document.querySelector('meta[name="klaxon-sign-in"]')?.content ?? 'token';

const csrfCookie = () =>
  document.cookie
    .split('; ')
    .find((c) => c.startsWith('klaxon_csrf='))
    ?.slice('klaxon_csrf='.length);

export const hasToken = () => Boolean(sessionStorage.getItem(KEY));
/** Whether a single sign-on session may be open (its HttpOnly cookie is invisible; its CSRF twin is not). */
export const hasSession = () => Boolean(csrfCookie());
export const signIn = (token) => sessionStorage.setItem(KEY, token);
export const signOut = async () => {
  sessionStorage.removeItem(KEY);
  if (hasSession())
    await fetch('/auth/logout', { method: 'POST', headers: { 'x-csrf-token': csrfCookie() } }).catch(() => {});
  dispatchEvent(new Event('klaxon:signed-out'));
};

export class SignedOut extends Error {}

export async function call(path, { method = 'GET', body, accept } = {}) {
  const token = sessionStorage.getItem(KEY);
  if (!token && !hasSession()) throw new SignedOut('not signed in');
  const headers = token ? { authorization: `Bearer ${token}` } : {};
  if (!token && method !== 'GET') headers['x-csrf-token'] = csrfCookie();
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (accept) headers.accept = accept;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    sessionStorage.removeItem(KEY);
    // A session that ended elsewhere (signed out in another tab, expired): forget its CSRF twin too.
    document.cookie = 'klaxon_csrf=; Max-Age=0; Path=/; SameSite=Lax';
    dispatchEvent(new Event('klaxon:signed-out'));
    throw new SignedOut('the token or session was refused');
  }
  return res;
}

/** JSON of a successful answer; otherwise an Error with what Klaxon said. */
export async function json(path, init) {
  const res = await call(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    // A refused body names each field and why: "invalid body" alone would leave the person guessing.
    const problems = Array.isArray(data.problems) ? data.problems.map((p) => `${p.path}: ${p.message}`) : [];
    const said = data.error ?? `Klaxon answered ${res.status}`;
    throw new Error(problems.length ? `${said} (${problems.join('; ')})` : said);
  }
  return data;
}

/** Whether a token is accepted, without keeping it. */
export async function tokenAccepted(token) {
  const res = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  return res.ok;
}
