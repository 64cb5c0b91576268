import { readFileSync, writeFileSync } from 'node:fs';
import { freePort } from '@klaxon/testing';
import { startOpenIdProvider, type OpenIdProvider } from '@klaxon/testing/openid-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, signInThroughProvider } from './browserless-sign-in.ts';
import { ADMIN_SERVICE_TOKEN, startPeopleStack, type PeopleStack } from './people-stack.ts';

interface Entry {
  at: string;
  actor: { kind: string; name: string } | null;
  kind: string;
  subject: string;
  detail: Record<string, unknown>;
}

/**
 * The audit log is the event streams read back with their actors: given a morning of token hand-outs,
 * acknowledgements, an admin acting for someone and a sign-in, it shows each, in order, as who did it.
 */
describe('the audit log', () => {
  let provider: OpenIdProvider;
  let stack: PeopleStack;
  let base: string;
  let incidentId: string;
  let ritaToken: string;
  let ritaTokenId: string;

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return {
      status: res.status,
      json: res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>),
    };
  };
  const audit = async (query = '') => {
    const answer = await api('GET', `/api/v1/audit${query}`, ADMIN_SERVICE_TOKEN);
    expect(answer.status).toBe(200);
    return answer.json as unknown as { entries: Entry[]; nextCursor: string | null };
  };

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startOpenIdProvider({ redirectUri: `${base}/auth/callback` });
    stack = await startPeopleStack({
      port,
      escalationYaml: `auth:\n  oidc: { issuer: "${provider.issuer}", clientId: ${provider.clientId}, clientSecret: ${provider.clientSecret} }\n`,
    });
    incidentId = await stack.openIncident();
    // 10:00 the admin service hands rita a token; 10:05 she acknowledges with it; 10:10 the admin posts a
    // status update in her name; 10:15 she revokes the token; 10:20 she signs in to the console and out.
    const handed = await api('POST', '/api/v1/people/rita/tokens', ADMIN_SERVICE_TOKEN, { name: 'phone' });
    ritaToken = handed.json!.token as string;
    ritaTokenId = handed.json!.id as string;
    stack.clock.advance(5 * 60_000);
    expect((await api('POST', `/api/v1/incidents/${incidentId}/acknowledge`, ritaToken, {})).status).toBe(200);
    stack.clock.advance(5 * 60_000);
    const update = { by: 'rita', text: 'orders back at 10:09' };
    expect(
      (await api('POST', `/api/v1/incidents/${incidentId}/status-updates`, ADMIN_SERVICE_TOKEN, update)).status,
    ).toBe(200);
    stack.clock.advance(5 * 60_000);
    expect((await api('DELETE', `/api/v1/me/tokens/${ritaTokenId}`, ritaToken)).status).toBe(204);
    stack.clock.advance(5 * 60_000);
    const jar = new CookieJar();
    await signInThroughProvider(jar, base, 'rita@example.com');
    const out = await fetch(`${base}/auth/logout`, {
      method: 'POST',
      headers: { cookie: jar.header(base), origin: base, 'x-csrf-token': jar.get(base, 'klaxon_csrf')! },
    });
    expect(out.status).toBe(204);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await provider?.close();
  });

  it('shows every command of the morning in order, each with its actor and time', async () => {
    const { entries, nextCursor } = await audit();
    expect(nextCursor).toBeNull();
    expect(
      entries.map((e) => [e.at.slice(11, 16), e.kind, e.actor && `${e.actor.kind}:${e.actor.name}`, e.subject]),
    ).toEqual([
      ['10:00', 'token.created', 'service:api', 'person:rita'],
      ['10:05', 'incident.acknowledged', 'person:rita', `incident:${incidentId}`],
      ['10:10', 'incident.status_update', 'service:api', `incident:${incidentId}`],
      ['10:15', 'token.revoked', 'person:rita', 'person:rita'],
      ['10:20', 'session.started', 'person:rita', 'person:rita'],
      ['10:20', 'session.ended', 'person:rita', 'person:rita'],
    ]);
    expect(entries[0]!.detail).toMatchObject({ tokenId: ritaTokenId, name: 'phone' });
    // An admin acting in someone's name is recorded as such.
    expect(entries[2]!.detail).toMatchObject({ by: 'rita', onBehalfOf: 'rita', text: 'orders back at 10:09' });
    expect(entries[4]!.detail).toMatchObject({ via: 'oidc', claim: 'rita@example.com' });
    // Never a secret: not a token's hash, not a session's.
    expect(JSON.stringify(entries)).not.toMatch(/[0-9a-f]{64}/);
  });

  it('filters by actor, by kind (or family of kinds) and by time', async () => {
    const byRita = await audit('?actor=rita');
    expect(byRita.entries.map((e) => e.kind)).toEqual([
      'incident.acknowledged',
      'token.revoked',
      'session.started',
      'session.ended',
    ]);
    expect((await audit('?actor=service:api')).entries).toHaveLength(2);
    expect((await audit('?kind=token')).entries.map((e) => e.kind)).toEqual(['token.created', 'token.revoked']);
    expect((await audit('?kind=incident.acknowledged')).entries).toHaveLength(1);
    const since = await audit(`?since=${encodeURIComponent('2026-12-01T10:12:00+00:00')}`);
    expect(since.entries.map((e) => e.kind)).toEqual(['token.revoked', 'session.started', 'session.ended']);
  });

  it('pages by cursor without skipping or repeating an entry', async () => {
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null; pages++) {
      expect(pages).toBeLessThan(5);
      const page = await audit(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.entries.length).toBeLessThanOrEqual(2);
      seen.push(...page.entries.map((e) => e.kind));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual((await audit()).entries.map((e) => e.kind));
  });

  it('answers 400 to a bad query and 403 to anyone but an admin', async () => {
    expect((await api('GET', '/api/v1/audit?since=yesterday', ADMIN_SERVICE_TOKEN)).status).toBe(400);
    expect((await api('GET', '/api/v1/audit?limit=0', ADMIN_SERVICE_TOKEN)).status).toBe(400);
    const rita = await api('POST', '/api/v1/people/rita/tokens', ADMIN_SERVICE_TOKEN, { name: 'again' });
    const refused = await api('GET', '/api/v1/audit', rita.json!.token as string);
    expect(refused).toMatchObject({ status: 403, json: { required: 'admin' } });
  });
});

/**
 * The other streams with actors read back the same way: given rita taking the pager and silencing a
 * deploy, the admin handing the shift back and reloading the configuration (a broken file first), the
 * log shows each change as who made it, and the refused reload not at all.
 */
describe('the audit log of on-call, silences and configuration', () => {
  let stack: PeopleStack;
  let base: string;
  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
    return { status: res.status, json };
  };
  const entries = async () =>
    ((await api('GET', '/api/v1/audit', ADMIN_SERVICE_TOKEN)).json as { entries: Entry[] }).entries;

  beforeAll(async () => {
    stack = await startPeopleStack({
      configFile: true,
      escalationYaml: `schedules:
  primary: { timezone: UTC, rotation: weekly, handoffDay: monday, handoff: "09:00", start: 2026-01-05, members: [rita, ada] }
`,
    });
    base = stack.escalationUrl;
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('shows each take, silence, override removal and applied configuration with its actor', async () => {
    const rita = (await api('POST', '/api/v1/people/rita/tokens', ADMIN_SERVICE_TOKEN, { name: 'laptop' })).json!
      .token as string;
    const taken = await api('POST', '/api/v1/schedules/primary/take', rita, { until: '2h', reason: 'ada is ill' });
    expect(taken.status).toBe(201);
    stack.clock.advance(5 * 60_000);
    const silence = { matchers: { service: 'orders' }, duration: '1h', comment: 'deploy of orders' };
    const silenced = await api('POST', '/api/v1/silences', rita, silence);
    expect(silenced.status).toBe(201);
    expect((await api('POST', '/api/v1/me/methods', rita, { type: 'sms', to: '+15550100003' })).status).toBe(201);
    const rules = { high: [{ after: '0m', method: 'sms' }] };
    expect((await api('PUT', '/api/v1/me/rules', rita, rules)).status).toBe(200);
    expect((await api('POST', '/api/v1/me/calendar-token', rita)).status).toBe(201);
    stack.clock.advance(5 * 60_000);
    const removed = await api(
      'DELETE',
      `/api/v1/schedules/primary/overrides/${taken.json!.overrideId as string}`,
      ADMIN_SERVICE_TOKEN,
    );
    expect(removed.status).toBe(200);
    const monitor = { name: 'nightly-backup', interval: '24h', grace: '1h', labels: { service: 'backup' } };
    expect((await api('POST', '/api/v1/heartbeats', ADMIN_SERVICE_TOKEN, monitor)).status).toBe(201);
    expect((await api('DELETE', '/api/v1/heartbeats/nightly-backup', ADMIN_SERVICE_TOKEN)).status).toBe(204);
    stack.clock.advance(5 * 60_000);

    const file = stack.configFile!;
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('channels: [email]', 'channels: [emial]'));
    const refused = await api('POST', '/-/reload', ADMIN_SERVICE_TOKEN);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json!.problems)).toContain('policies.default.levels.L1.channels');
    writeFileSync(file, good.replace('channels: [email]', 'channels: [email, sms]'));
    const reloaded = await api('POST', '/-/reload', ADMIN_SERVICE_TOKEN);
    expect(reloaded).toMatchObject({ status: 200, json: { changed: ['policies.default'] } });

    const log = await entries();
    expect(
      log.map((e) => [e.at.slice(11, 16), e.kind, e.actor && `${e.actor.kind}:${e.actor.name}`, e.subject]),
    ).toEqual([
      ['10:00', 'token.created', 'service:api', 'person:rita'],
      ['10:00', 'override.added', 'person:rita', 'schedule:primary'],
      ['10:05', 'silence.added', 'person:rita', 'silences'],
      ['10:05', 'method.added', 'person:rita', 'person:rita'],
      ['10:05', 'rules.set', 'person:rita', 'person:rita'],
      ['10:05', 'feed_token.issued', 'person:rita', 'calendar-feed-tokens'],
      ['10:10', 'override.removed', 'service:api', 'schedule:primary'],
      ['10:10', 'heartbeat.added', 'service:api', 'heartbeats'],
      ['10:10', 'heartbeat.removed', 'service:api', 'heartbeats'],
      ['10:15', 'config.applied', 'service:api', 'config'],
    ]);
    expect(log[1]!.detail).toMatchObject({
      overrideId: taken.json!.overrideId as string,
      person: 'rita',
      start: '2026-12-01T10:00:00.000Z',
      reason: 'ada is ill',
    });
    expect(log[2]!.detail).toMatchObject({
      id: silenced.json!.id,
      matchers: { service: 'orders' },
      comment: 'deploy of orders',
    });
    expect(log[3]!.detail).toMatchObject({ type: 'sms', to: '+15550100003' });
    expect(log[4]!.detail).toEqual({ high: [{ afterMs: 0, method: 'sms' }] });
    expect(log[5]!.detail).toEqual({ person: 'rita' });
    expect(log[7]!.detail).toEqual({
      name: 'nightly-backup',
      intervalMs: 86_400_000,
      graceMs: 3_600_000,
      labels: { service: 'backup' },
    });
    expect(log[8]!.detail).toEqual({ name: 'nightly-backup' });
    expect(log[9]!.detail).toEqual({ sha256: reloaded.json!.sha256, changed: ['policies.default'] });
    expect((await api('GET', '/api/v1/audit?kind=config', ADMIN_SERVICE_TOKEN)).json!.entries).toHaveLength(1);
  });
});
