import type { Role } from '@klaxon/domain';
import { freePort } from '@klaxon/testing';
import { startOpenIdProvider, type OpenIdProvider } from '@klaxon/testing/openid-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, signInThroughProvider } from './browserless-sign-in.ts';
import { mountedRoutes } from './mounted-routes.ts';
import { ADMIN_SERVICE_TOKEN, startPeopleStack, type PeopleStack } from './people-stack.ts';

type Caller = 'nobody' | 'viewer' | 'responder' | 'admin' | 'revoked' | 'expired';
const CALLERS: Caller[] = ['nobody', 'viewer', 'responder', 'admin', 'revoked', 'expired'];

interface Row {
  /** The role a caller needs, or `public` for what answers without an API token (its own checks aside). */
  access: Role | 'public';
  /** The answer to a caller who may: a read of an existing incident, a write to one that does not exist. */
  ok: number;
  url?: string;
  body?: unknown;
}

const INCIDENT = '{incident}';
/** A write to an incident that does not exist: the decider answers 404, which shows the request got in. */
const GHOST = '/api/v1/incidents/ghost-1';

const ESCALATION: Record<string, Row> = {
  'GET /health': { access: 'public', ok: 200 },
  'GET /ready': { access: 'public', ok: 200 },
  'GET /metrics': { access: 'public', ok: 200 },
  'GET /': { access: 'public', ok: 200 },
  'GET /incidents/:id': { access: 'public', ok: 200, url: `/incidents/${INCIDENT}` },
  'GET /oncall': { access: 'public', ok: 200 },
  'GET /kpis': { access: 'public', ok: 200 },
  'GET /console/vendor/:file': { access: 'public', ok: 200, url: '/console/vendor/htm.mjs' },
  // Static files under a prefix: one of them stands for all.
  '* /console': { access: 'public', ok: 200, url: '/console/app.js' },
  // Signed by Twilio, not by a token: without the signature, refused for everyone alike.
  'POST /webhooks/twilio/sms': { access: 'public', ok: 403 },
  'POST /webhooks/twilio/voice': { access: 'public', ok: 403 },
  // A signed link is its own credential.
  'GET /ack/:token': { access: 'public', ok: 400, url: '/ack/not-a-link' },
  'POST /ack/:token': { access: 'public', ok: 400, url: '/ack/not-a-link' },
  'GET /api/v1/incidents': { access: 'viewer', ok: 200 },
  'GET /api/v1/incidents/:id': { access: 'viewer', ok: 200, url: `/api/v1/incidents/${INCIDENT}` },
  'GET /api/v1/incidents/:id/postmortem': {
    access: 'viewer',
    ok: 200,
    url: `/api/v1/incidents/${INCIDENT}/postmortem`,
  },
  'GET /api/v1/oncall': { access: 'viewer', ok: 200 },
  'GET /api/v1/kpis': { access: 'viewer', ok: 200 },
  'GET /api/v1/kpis/responders': { access: 'viewer', ok: 200 },
  'GET /api/v1/me': { access: 'viewer', ok: 200 },
  'POST /api/v1/incidents/:id/acknowledge': { access: 'responder', ok: 404, url: `${GHOST}/acknowledge` },
  'POST /api/v1/incidents/:id/resolve': { access: 'responder', ok: 404, url: `${GHOST}/resolve` },
  'POST /api/v1/incidents/:id/escalate': { access: 'responder', ok: 404, url: `${GHOST}/escalate` },
  'POST /api/v1/incidents/:id/reopen': { access: 'responder', ok: 404, url: `${GHOST}/reopen` },
  'POST /api/v1/incidents/:id/status-updates': {
    access: 'responder',
    ok: 404,
    url: `${GHOST}/status-updates`,
    body: { text: 'looking' },
  },
  'POST /api/v1/incidents/:id/severity': {
    access: 'responder',
    ok: 404,
    url: `${GHOST}/severity`,
    body: { severity: 'P2' },
  },
  'POST /api/v1/me/tokens': { access: 'responder', ok: 201, body: { name: 'laptop' } },
  'GET /api/v1/me/tokens': { access: 'responder', ok: 200 },
  'DELETE /api/v1/me/tokens/:id': { access: 'responder', ok: 404, url: '/api/v1/me/tokens/no-such-token' },
  'POST /api/v1/people/:name/tokens': {
    access: 'admin',
    ok: 201,
    url: '/api/v1/people/rita/tokens',
    body: { name: 'handed over' },
  },
  'GET /api/v1/people/:name/tokens': { access: 'admin', ok: 200, url: '/api/v1/people/rita/tokens' },
  'GET /api/v1/dead-letters': { access: 'admin', ok: 200 },
  'DELETE /api/v1/people/:name/tokens/:id': {
    access: 'admin',
    ok: 404,
    url: '/api/v1/people/rita/tokens/no-such-token',
  },
  // Sign-in, sessions, one-tap links and the audit log (issue 23). This stack has no auth.oidc: sign-in
  // answers that it is not set up (test/e2e/sign-in.test.ts runs it against a real provider).
  'GET /audit': { access: 'public', ok: 200 },
  // The console's quiet page (issue 27): the shell, its data from the API below.
  'GET /quiet': { access: 'public', ok: 200 },
  'GET /me': { access: 'public', ok: 200 },
  'GET /auth/login': { access: 'public', ok: 404 },
  'GET /auth/callback': { access: 'public', ok: 404 },
  // Without a session cookie there is nothing to end; with one, a cross-site sign-out is refused.
  'POST /auth/logout': { access: 'public', ok: 204 },
  // A one-tap link is its own credential, checked before anything else (test one-tap-links.test.ts).
  'GET /i/:capability': { access: 'public', ok: 403, url: '/i/not.a-link' },
  'POST /i/:capability/acknowledge': { access: 'public', ok: 403, url: '/i/not.a-link/acknowledge' },
  'POST /i/:capability/resolve': { access: 'public', ok: 403, url: '/i/not.a-link/resolve' },
  'POST /i/:capability/escalate': { access: 'public', ok: 403, url: '/i/not.a-link/escalate' },
  'GET /api/v1/audit': { access: 'admin', ok: 200 },
  // On-call changes (issue 24): a schedule that does not exist answers 404, which shows the request got in.
  'GET /api/v1/schedules': { access: 'viewer', ok: 200 },
  'GET /api/v1/schedules/:name': { access: 'viewer', ok: 404, url: '/api/v1/schedules/ghost' },
  'POST /api/v1/schedules/:name/overrides': {
    access: 'responder',
    ok: 404,
    url: '/api/v1/schedules/ghost/overrides',
    body: { start: '2026-12-02T10:00:00Z', end: '2026-12-02T12:00:00Z', person: 'rita' },
  },
  'DELETE /api/v1/schedules/:name/overrides/:id': {
    access: 'responder',
    ok: 404,
    url: '/api/v1/schedules/ghost/overrides/ovr_none',
  },
  'POST /api/v1/schedules/:name/take': {
    access: 'responder',
    ok: 404,
    url: '/api/v1/schedules/ghost/take',
    body: { until: '2h' },
  },
  // Started without a configuration file, the stack refuses a reload with 409, which shows the request got in.
  'POST /-/reload': { access: 'admin', ok: 409 },
  // Chat and outgoing webhooks: Slack signs its requests (unsigned, refused for everyone alike).
  'POST /webhooks/slack/interactions': { access: 'public', ok: 403 },
  'POST /webhooks/slack/commands': { access: 'public', ok: 403 },
  'GET /api/v1/webhooks': { access: 'admin', ok: 200 },
  'POST /api/v1/webhooks/:name/replay': {
    access: 'admin',
    ok: 404,
    url: '/api/v1/webhooks/no-such-webhook/replay',
    body: { from: '2026-12-01T00:00:00Z' },
  },
  // Reaching people (issue 25): Twilio's delivery receipts are signed by Twilio; methods are the caller's own.
  'POST /webhooks/twilio/status': { access: 'public', ok: 403 },
  'POST /webhooks/vonage/voice': { access: 'public', ok: 403 },
  'GET /api/v1/me/methods': { access: 'responder', ok: 200 },
  'POST /api/v1/me/methods': { access: 'responder', ok: 201, body: { type: 'email', to: 'pager@example.com' } },
  'POST /api/v1/me/methods/:id/verify': { access: 'responder', ok: 404, url: '/api/v1/me/methods/m_none/verify' },
  'POST /api/v1/me/methods/:id/confirm': {
    access: 'responder',
    ok: 404,
    url: '/api/v1/me/methods/m_none/confirm',
    body: { code: '123456' },
  },
  'POST /api/v1/me/methods/:id/test': { access: 'responder', ok: 404, url: '/api/v1/me/methods/m_none/test' },
  'DELETE /api/v1/me/methods/:id': { access: 'responder', ok: 404, url: '/api/v1/me/methods/m_none' },
  'GET /api/v1/me/rules': { access: 'responder', ok: 200 },
  'PUT /api/v1/me/rules': {
    access: 'responder',
    ok: 200,
    body: { high: [{ after: '0m', method: 'sms' }], quietHours: { from: '22:00', to: '07:00' } },
  },
  // quiet (issue 27): heartbeats, silences, maintenance windows.
  'GET /api/v1/heartbeats': { access: 'viewer', ok: 200 },
  // A monitor pages people and removing one blinds a dead-man's switch: an admin's, like maintenance.
  'POST /api/v1/heartbeats': {
    access: 'admin',
    ok: 201,
    body: { name: 'access-check', interval: '1h', grace: '5m', labels: { severity: 'warning' } },
  },
  'DELETE /api/v1/heartbeats/:name': { access: 'admin', ok: 404, url: '/api/v1/heartbeats/no-such-heartbeat' },
  'GET /api/v1/silences': { access: 'viewer', ok: 200 },
  'POST /api/v1/silences': {
    access: 'responder',
    ok: 201,
    body: { matchers: { alertname: 'AccessCheck' }, duration: '1h', comment: 'who may' },
  },
  'DELETE /api/v1/silences/:id': { access: 'responder', ok: 404, url: '/api/v1/silences/no-such-silence' },
  'GET /api/v1/maintenance': { access: 'viewer', ok: 200 },
  'POST /api/v1/maintenance': {
    access: 'admin',
    ok: 201,
    body: {
      matchers: { alertname: 'AccessCheck' },
      every: 'weekly',
      days: ['sat'],
      from: '02:00',
      to: '04:00',
      timezone: 'UTC',
      comment: 'who may',
    },
  },
  'DELETE /api/v1/maintenance/:id': { access: 'admin', ok: 404, url: '/api/v1/maintenance/no-such-window' },
  // A feed carries its own credential (?token=, a feed token): without one, refused for everyone alike.
  'GET /api/v1/schedules/:name/calendar.ics': {
    access: 'public',
    ok: 401,
    url: '/api/v1/schedules/primary/calendar.ics',
  },
  'GET /api/v1/people/:name/calendar.ics': { access: 'public', ok: 401, url: '/api/v1/people/rita/calendar.ics' },
  // Only a person has a feed token; the people a caller may be here all are (vic, rita, ada).
  'POST /api/v1/me/calendar-token': { access: 'viewer', ok: 201 },
  'DELETE /api/v1/me/calendar-token': { access: 'viewer', ok: 204 },
};

const PROJECTION: Record<string, Row> = {
  'GET /health': { access: 'public', ok: 200 },
  'GET /ready': { access: 'public', ok: 200 },
  'GET /metrics': { access: 'public', ok: 200 },
  'GET /api/v1/kpis': { access: 'viewer', ok: 200 },
  'GET /api/v1/kpis/responders': { access: 'viewer', ok: 200 },
  // Started without a configuration file, like escalation here: 409 shows the request got in.
  'POST /-/reload': { access: 'admin', ok: 409 },
};

const expected = (row: Row, caller: Caller): number => {
  if (row.access === 'public') return row.ok;
  if (caller === 'nobody' || caller === 'revoked' || caller === 'expired') return 401;
  const rank = ['viewer', 'responder', 'admin'];
  return rank.indexOf(caller) >= rank.indexOf(row.access) ? row.ok : 403;
};

describe('who may call which route', () => {
  let stack: PeopleStack;
  let incidentId: string;
  const tokens = {} as Record<Exclude<Caller, 'nobody'>, string>;

  const call = (base: string, method: string, url: string, token: string | undefined, body?: unknown) =>
    fetch(`${base}${url}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(method === 'GET' || method === 'DELETE' ? {} : { 'content-type': 'application/json' }),
      },
      body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(body ?? {}),
    });
  const handOut = async (person: string, body: unknown) => {
    const answer = await call(
      stack.escalationUrl,
      'POST',
      `/api/v1/people/${person}/tokens`,
      ADMIN_SERVICE_TOKEN,
      body,
    );
    expect(answer.status).toBe(201);
    return (await answer.json()) as { id: string; token: string };
  };

  beforeAll(async () => {
    stack = await startPeopleStack();
    incidentId = await stack.openIncident();
    tokens.viewer = (await handOut('vic', { name: 'reader' })).token;
    tokens.responder = (await handOut('rita', { name: 'phone' })).token;
    tokens.admin = (await handOut('ada', { name: 'desk' })).token;
    // Revoked and expired tokens are a responder's: were either check missing, they would get in.
    const revoked = await handOut('rita', { name: 'lost laptop' });
    expect(
      (await call(stack.escalationUrl, 'DELETE', `/api/v1/me/tokens/${revoked.id}`, tokens.responder)).status,
    ).toBe(204);
    tokens.revoked = revoked.token;
    tokens.expired = (await handOut('rita', { name: 'short-lived', expiresIn: '1h' })).token;
    stack.clock.set(Date.parse('2026-12-01T12:00:00Z'));
  }, 60_000);
  afterAll(async () => stack?.close());

  for (const [service, table] of [
    ['escalation', ESCALATION],
    ['projection', PROJECTION],
  ] as const) {
    it(`${service}: every route it mounts has a row, and every row a route`, () => {
      const app = service === 'escalation' ? stack.escalation.http.app : stack.projection.http.app;
      const mounted = mountedRoutes(app).map((r) => `${r.prefix ? '*' : r.method.toUpperCase()} ${String(r.path)}`);
      expect(mounted.filter((route) => !(route in table))).toEqual([]);
      expect(Object.keys(table).filter((route) => !mounted.includes(route))).toEqual([]);
    });

    it(`${service}: answers each caller as its role allows`, async () => {
      const base = service === 'escalation' ? stack.escalationUrl : stack.projectionUrl;
      const seen: string[] = [];
      const wanted: string[] = [];
      for (const [route, row] of Object.entries(table)) {
        const [mounted, path] = route.split(' ') as [string, string];
        const method = mounted === '*' ? 'GET' : mounted;
        const url = (row.url ?? path).replace(INCIDENT, incidentId);
        for (const caller of CALLERS) {
          const answer = await call(base, method, url, caller === 'nobody' ? undefined : tokens[caller], row.body);
          const status = answer.status;
          seen.push(`${route} as ${caller}: ${status}`);
          wanted.push(`${route} as ${caller}: ${expected(row, caller)}`);
          if (status === 403 && row.access !== 'public')
            expect(await answer.json()).toMatchObject({ required: row.access });
        }
      }
      expect(seen).toEqual(wanted);
    }, 120_000);
  }
});

/**
 * The console's callers: a person signed in through the OpenID Provider, with the session cookie. Each is
 * answered as their role, on every route a token reaches; a write that carries the cookie without the
 * CSRF header (as a cross-site form would) is refused before the role is even asked.
 */
describe('who may call which route, signed in with a session cookie', () => {
  type Person = 'viewer' | 'responder' | 'admin';
  const LOGINS: Record<Person, string> = {
    viewer: 'vic@example.com',
    responder: 'rita@example.com',
    admin: 'ada@example.com',
  };
  let provider: OpenIdProvider;
  let stack: PeopleStack;
  let base: string;
  let incidentId: string;
  const jars = {} as Record<Person, CookieJar>;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOpenIdProvider({ redirectUri: `${base}/auth/callback` });
    stack = await startPeopleStack({
      port,
      escalationYaml: `auth:\n  oidc: { issuer: "${provider.issuer}", clientId: ${provider.clientId}, clientSecret: ${provider.clientSecret} }\n`,
    });
    incidentId = await stack.openIncident();
    for (const person of Object.keys(LOGINS) as Person[]) {
      jars[person] = new CookieJar();
      await signInThroughProvider(jars[person], base, LOGINS[person]);
      expect(jars[person].get(base, 'klaxon_session')).toBeDefined();
    }
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await provider?.close();
  });

  const call = (method: string, url: string, person: Person, csrf: boolean, body?: unknown) => {
    const write = method !== 'GET';
    return fetch(`${base}${url}`, {
      method,
      headers: {
        cookie: jars[person].header(base),
        ...(write ? { origin: base } : {}),
        ...(write && csrf ? { 'x-csrf-token': jars[person].get(base, 'klaxon_csrf')! } : {}),
        ...(write && method !== 'DELETE' ? { 'content-type': 'application/json' } : {}),
      },
      body: write && method !== 'DELETE' ? JSON.stringify(body ?? {}) : undefined,
    });
  };
  // Sign-in's own routes change here (the stack has auth.oidc); the token table has them without it.
  const routes = Object.entries(ESCALATION).filter(([, row]) => row.access !== 'public');

  it('answers each signed-in person as their role', async () => {
    const seen: string[] = [];
    const wanted: string[] = [];
    for (const [route, row] of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const url = (row.url ?? path).replace(INCIDENT, incidentId);
      for (const person of Object.keys(LOGINS) as Person[]) {
        const answer = await call(method, url, person, true, row.body);
        seen.push(`${route} as ${person}'s session: ${answer.status}`);
        wanted.push(`${route} as ${person}'s session: ${expected(row, person)}`);
        if (answer.status === 403) expect(await answer.json()).toMatchObject({ required: row.access });
      }
    }
    expect(seen).toEqual(wanted);
  }, 120_000);

  it('refuses every write that carries the cookie without the CSRF header, whatever the role', async () => {
    const seen: string[] = [];
    for (const [route, row] of routes.filter(([route]) => !route.startsWith('GET '))) {
      const [method, path] = route.split(' ') as [string, string];
      const answer = await call(method, (row.url ?? path).replace(INCIDENT, incidentId), 'admin', false, row.body);
      seen.push(`${route}: ${answer.status} ${JSON.stringify(await answer.json())}`);
    }
    expect(seen.length).toBeGreaterThan(20);
    for (const line of seen) expect(line).toMatch(/: 403 .*"required":"same-origin"/);
  }, 60_000);
});
