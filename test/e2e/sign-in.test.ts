import { startOpenIdProvider, type OpenIdProvider } from '@klaxon/testing/openid-provider';
import { freePort } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browse, CookieJar, signInThroughProvider } from './browserless-sign-in.ts';
import { ADMIN_SERVICE_TOKEN, startPeopleStack, type PeopleStack } from './people-stack.ts';

/**
 * Console sign-in through a real OpenID Provider (oidc-provider, in this process, on loopback), then what a
 * session cookie may and may not do: every cross-site check has a case here that passes without it.
 */
describe('signing in to the console through an OpenID Provider', () => {
  let provider: OpenIdProvider;
  let stack: PeopleStack;
  let base: string;
  let incidentId: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOpenIdProvider({
      redirectUri: `${base}/auth/callback`,
      unverified: ['mallory-claims-rita@example.com'],
    });
    stack = await startPeopleStack({
      port,
      escalationYaml: `auth:
  oidc: { issuer: "${provider.issuer}", clientId: ${provider.clientId}, clientSecret: ${provider.clientSecret} }
  sessionTtl: 8h
`,
    });
    incidentId = await stack.openIncident();
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await provider?.close();
  });

  /** A signed-in responder's cookies, and a write as the console sends it, with each part overridable. */
  const signedIn = async (login = 'rita@example.com') => {
    const jar = new CookieJar();
    const landed = await signInThroughProvider(jar, base, login, `/incidents/${incidentId}`);
    return { jar, landed, session: jar.get(base, 'klaxon_session'), csrf: jar.get(base, 'klaxon_csrf') };
  };
  const write = (path: string, cookies: string, headers: { origin?: string; csrf?: string } = {}, body: unknown = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: cookies,
        ...(headers.origin !== undefined ? { origin: headers.origin } : {}),
        ...(headers.csrf !== undefined ? { 'x-csrf-token': headers.csrf } : {}),
      },
      body: JSON.stringify(body),
    });
  const me = (cookies: string) => fetch(`${base}/api/v1/me`, { headers: { cookie: cookies } });

  it('given rita in contacts, when she signs in at the provider, then she lands on the page she asked for with a session', async () => {
    const { landed, session, csrf, jar } = await signedIn();
    expect(landed.res.status).toBe(200);
    expect(landed.url).toBe(`${base}/incidents/${incidentId}`);
    expect(landed.body).toContain('<meta name="klaxon-sign-in" content="oidc">');
    expect(session).toBeDefined();
    expect(csrf).toBeDefined();
    // The provider's answer went through once: the pending sign-in cookie is gone.
    expect(jar.get(base, 'klaxon_oidc')).toBeUndefined();
    const answer = await me(jar.header(base));
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ kind: 'person', name: 'rita', role: 'responder' });
  });

  it('sets the session cookie HttpOnly and SameSite=Lax, and the CSRF cookie readable by the page', async () => {
    const jar = new CookieJar();
    const login = await browse(jar, `${base}/auth/login`);
    const consent = await browse(jar, new URL(/action="([^"]+)"/.exec(login.body)![1]!, login.url).href, {
      method: 'POST',
      form: { prompt: 'login', login: 'rita@example.com', password: 'x' },
    });
    const consentAction = new URL(/action="([^"]+)"/.exec(consent.body)![1]!, consent.url).href;
    // Up to the provider's redirect back to Klaxon, by hand, to read the Set-Cookie headers of the callback.
    let url = consentAction;
    let res = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(url), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'prompt=consent',
    });
    while (!url.startsWith(`${base}/auth/callback`)) {
      jar.absorb(url, res);
      url = new URL(res.headers.get('location')!, url).href;
      res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
    }
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('klaxon_session='))!;
    const csrf = cookies.find((c) => c.startsWith('klaxon_csrf='))!;
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);
    expect(session).toMatch(/Path=\//);
    expect(csrf).not.toMatch(/HttpOnly/i);
    expect(csrf).toMatch(/SameSite=Lax/i);
  });

  it('refuses an email no contact has with a page that says so, and starts no session', async () => {
    const { landed, session } = await signedIn('stranger@example.com');
    expect(landed.res.status).toBe(403);
    expect(landed.body).toContain('Not a Klaxon person');
    expect(landed.body).toContain('stranger@example.com');
    expect(session).toBeUndefined();
  });

  it("refuses a contact's email that the provider has not verified", async () => {
    const { landed, session } = await signedIn('mallory-claims-rita@example.com');
    expect(landed.res.status).toBe(403);
    expect(landed.body).toContain('Email not verified');
    expect(session).toBeUndefined();
  });

  it('refuses a callback that this browser did not start (no pending sign-in cookie)', async () => {
    const { res } = await browse(new CookieJar(), `${base}/auth/callback?code=stolen&state=guessed`);
    expect(res.status).toBe(400);
  });

  it('only returns to a path of its own origin after sign-in', async () => {
    const jar = new CookieJar();
    const landed = await signInThroughProvider(jar, base, 'rita@example.com', '//evil.example.com/phish');
    expect(landed.url).toBe(`${base}/`);
  });

  describe('a write with the session cookie', () => {
    it('is accepted with a same-origin Origin and X-CSRF-Token equal to klaxon_csrf, and recorded as the person', async () => {
      const { jar, csrf } = await signedIn();
      const answer = await write(
        `/api/v1/incidents/${incidentId}/status-updates`,
        jar.header(base),
        {
          origin: base,
          csrf,
        },
        { text: 'looking at it' },
      );
      expect(answer.status).toBe(200);
      const { timeline } = (await (
        await fetch(`${base}/api/v1/incidents/${incidentId}`, {
          headers: { authorization: `Bearer ${ADMIN_SERVICE_TOKEN}` },
        })
      ).json()) as { timeline: { type: string }[] };
      expect(timeline.find((e) => e.type === 'StatusUpdatePosted')).toMatchObject({
        by: 'rita',
        actor: { kind: 'person', name: 'rita' },
      });
    });

    it('is refused without X-CSRF-Token', async () => {
      const { jar } = await signedIn();
      const answer = await write(
        `/api/v1/incidents/${incidentId}/status-updates`,
        jar.header(base),
        { origin: base },
        { text: 'x' },
      );
      expect(answer.status).toBe(403);
      expect(await answer.json()).toMatchObject({ required: 'same-origin' });
    });

    it('is refused with an X-CSRF-Token other than the cookie', async () => {
      const { jar, csrf } = await signedIn();
      const answer = await write(
        `/api/v1/incidents/${incidentId}/status-updates`,
        jar.header(base),
        {
          origin: base,
          csrf: `${csrf}x`,
        },
        { text: 'x' },
      );
      expect(answer.status).toBe(403);
    });

    it('is refused when header and cookie agree on a value that is not the session’s (a planted cookie)', async () => {
      const { session } = await signedIn();
      const planted = 'planted-by-a-sibling-subdomain';
      const answer = await write(
        `/api/v1/incidents/${incidentId}/status-updates`,
        `klaxon_session=${session}; klaxon_csrf=${planted}`,
        { origin: base, csrf: planted },
        { text: 'x' },
      );
      expect(answer.status).toBe(403);
    });

    it('is refused from a foreign Origin, even with the right token', async () => {
      const { jar, csrf } = await signedIn();
      const answer = await write(
        `/api/v1/incidents/${incidentId}/status-updates`,
        jar.header(base),
        {
          origin: 'https://evil.example.com',
          csrf,
        },
        { text: 'x' },
      );
      expect(answer.status).toBe(403);
    });

    it('is refused without an Origin', async () => {
      const { jar, csrf } = await signedIn();
      const answer = await write(
        `/api/v1/incidents/${incidentId}/status-updates`,
        jar.header(base),
        { csrf },
        { text: 'x' },
      );
      expect(answer.status).toBe(403);
    });

    it('is not needed for Bearer calls, which a browser never sends on its own', async () => {
      const answer = await fetch(`${base}/api/v1/incidents/${incidentId}/status-updates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_SERVICE_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'from a script' }),
      });
      expect(answer.status).toBe(200);
    });
  });

  it('given a signed-out session, when its cookies are replayed, then reads and writes are refused with 401', async () => {
    const { jar, csrf, session } = await signedIn();
    const cookies = jar.header(base);
    const out = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { cookie: cookies, origin: base, 'x-csrf-token': csrf! },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().some((c) => c.startsWith('klaxon_session=;'))).toBe(true);
    expect((await me(`klaxon_session=${session}`)).status).toBe(401);
    const replayed = await write(`/api/v1/incidents/${incidentId}/acknowledge`, cookies, { origin: base, csrf });
    expect(replayed.status).toBe(401);
  });

  it('refuses a cross-site sign-out (the session stays)', async () => {
    const { jar } = await signedIn();
    const out = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { cookie: jar.header(base), origin: 'https://evil.example.com' },
    });
    expect(out.status).toBe(403);
    expect((await me(jar.header(base))).status).toBe(200);
  });

  it('given a session started at 10:00 with an 8h lifetime, at 18:00 it is refused', async () => {
    const { jar, csrf } = await signedIn();
    expect((await me(jar.header(base))).status).toBe(200);
    stack.clock.advance(8 * 3_600_000);
    expect((await me(jar.header(base))).status).toBe(401);
    const write_ = await write(`/api/v1/incidents/${incidentId}/acknowledge`, jar.header(base), { origin: base, csrf });
    expect(write_.status).toBe(401);
  });
});
