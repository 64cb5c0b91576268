// The console's one way to Klaxon's API: the API token lives in this browser session only (sessionStorage),
// is sent as a Bearer header, and is never put in a URL.
const KEY = 'klaxon-token';

export const hasToken = () => Boolean(sessionStorage.getItem(KEY));
export const signIn = (token) => sessionStorage.setItem(KEY, token);
export const signOut = () => {
  sessionStorage.removeItem(KEY);
  dispatchEvent(new Event('klaxon:signed-out'));
};

export class SignedOut extends Error {}

export async function call(path, { method = 'GET', body, accept } = {}) {
  const token = sessionStorage.getItem(KEY);
  if (!token) throw new SignedOut('not signed in');
  const headers = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (accept) headers.accept = accept;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 401) {
    signOut();
    throw new SignedOut('the token was refused');
  }
  return res;
}

/** JSON of a successful answer; otherwise an Error with what Klaxon said. */
export async function json(path, init) {
  const res = await call(path, init);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error ?? `Klaxon answered ${res.status}`);
  return data;
}

/** Whether a token is accepted, without keeping it. */
export async function tokenAccepted(token) {
  const res = await fetch('/api/v1/me', { headers: { authorization: `Bearer ${token}` } });
  return res.ok;
}
