import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { hashToken } from '@klaxon/people';
import { tempDir, VirtualClock } from '@klaxon/testing';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { API_TOKEN, testConfig } from './support/test-config.ts';

/** The runbook's people with roles: alice and bob respond, erin is an admin, carl only watches. */
const peopleConfig = () => {
  const config = testConfig();
  config.contacts.erin!.role = 'admin';
  config.contacts.carl!.role = 'viewer';
  return config;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
const call = async (h: Harness, token: string, method: string, path: string, body?: unknown): Promise<any> => {
  const response = await fetch(`${h.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await h.service.drained();
  return { status: response.status, json: response.status === 204 ? null : await response.json() };
};
const handOut = async (h: Harness, person: string, body: object = { name: 'first' }) => {
  const answer = await call(h, API_TOKEN, 'POST', `/api/v1/people/${person}/tokens`, body);
  expect(answer.status).toBe(201);
  return answer.json as { id: string; name: string; token: string; expiresAt: string };
};
const eventsOf = async (h: Harness, type: string) =>
  (await h.store.readAll({ limit: 10_000 })).filter((e) => e.type === type).map((e) => e.data);

describe('the actor of a command is the one who signed in', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('refuses a responder who names someone else, credits them when they name nobody', async () => {
    h = await startEscalation({ config: peopleConfig() });
    const alice = (await handOut(h, 'alice')).token;
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;

    const forged = await call(h, alice, 'POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'bob' });
    expect(forged).toMatchObject({ status: 403, json: { required: 'admin' } });
    expect(await eventsOf(h, 'Acknowledged')).toEqual([]);

    expect((await call(h, alice, 'POST', `/api/v1/incidents/${id}/acknowledge`, {})).status).toBe(200);
    const [acknowledged] = await eventsOf(h, 'Acknowledged');
    expect(acknowledged).toMatchObject({ by: 'alice', actor: { kind: 'person', name: 'alice' } });
    expect(acknowledged).not.toHaveProperty('onBehalfOf');
  });

  it('records an admin acting in another person’s name as on their behalf', async () => {
    h = await startEscalation({ config: peopleConfig() });
    const erin = (await handOut(h, 'erin')).token;
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;

    const update = { by: 'bob', text: 'bob is on the phone with the vendor' };
    expect((await call(h, erin, 'POST', `/api/v1/incidents/${id}/status-updates`, update)).status).toBe(200);
    expect(await eventsOf(h, 'StatusUpdatePosted')).toEqual([
      expect.objectContaining({ by: 'bob', actor: { kind: 'person', name: 'erin' }, onBehalfOf: 'bob' }),
    ]);
    // The shared token of old is an admin service named `api`: what its callers sent keeps working.
    expect((await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' })).status).toBe(200);
    expect(await eventsOf(h, 'Resolved')).toEqual([
      expect.objectContaining({ by: 'alice', actor: { kind: 'service', name: 'api' }, onBehalfOf: 'alice' }),
    ]);
  });
});

describe('personal tokens', () => {
  let h: Harness;
  let other: Harness | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await h?.close();
  });

  it('are kept as their sha256 only: the token itself is nowhere in the store', async () => {
    h = await startEscalation({ config: peopleConfig() });
    const created = await handOut(h, 'alice', { name: 'laptop' });
    expect(created.token).toMatch(/^kx_[A-Za-z0-9_-]{43}$/);
    // The store's own files, byte for byte (its write-ahead log too), not only what reading it returns.
    const files = readdirSync(h.dir.path).filter((f) => f.startsWith('events.db'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(readFileSync(h.dir.file(file)).includes(created.token)).toBe(false);
    expect(await eventsOf(h, 'PersonalTokenCreated')).toEqual([
      expect.objectContaining({ name: 'laptop', hash: hashToken(created.token) }),
    ]);
  });

  it('expire: refused from their expiry on, and listed as expired', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z', config: peopleConfig() });
    const { token, expiresAt } = await handOut(h, 'alice', { name: 'one hour', expiresIn: '1h' });
    expect(expiresAt).toBe('2026-11-23T11:00:00.000Z');
    expect((await call(h, token, 'GET', '/api/v1/me')).json).toEqual({
      kind: 'person',
      name: 'alice',
      role: 'responder',
      email: 'alice@example.com',
      timezone: 'Europe/Berlin',
      calendarUrl: null,
    });
    h.clock.set('2026-11-23T11:00:00Z');
    expect((await call(h, token, 'GET', '/api/v1/me')).status).toBe(401);
    const listed = await call(h, API_TOKEN, 'GET', '/api/v1/people/alice/tokens');
    expect(listed.json.tokens).toMatchObject([
      { name: 'one hour', state: 'expired', lastUsedAt: '2026-11-23T10:00:00.000Z' },
    ]);
    expect(JSON.stringify(listed.json)).not.toContain('hash');
  });

  it('are seen by every instance on the store, and a revocation holds on all of them at once', async () => {
    const dir = tempDir('klaxon-people-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    h = await startEscalation({ dir, providers, clock, config: peopleConfig(), consumerGroup: 'a' });
    // The second instance's subscription to people's streams is stuck behind: what it learns, it reads on a miss.
    other = await startEscalation({
      dir,
      providers,
      clock,
      config: peopleConfig(),
      consumerGroup: 'b',
      wrapStore: (store) => ({
        ...store,
        subscribe: (options) =>
          options.streamPrefix === 'person-'
            ? { position: undefined, caughtUp: async () => undefined, stop: async () => undefined }
            : store.subscribe(options),
      }),
    });
    try {
      const { id, token } = await handOut(h, 'bob', { name: 'pager app' });
      // Created on one instance a moment ago, used on the other at once.
      expect((await call(other, token, 'GET', '/api/v1/me/tokens')).json.tokens).toMatchObject([
        { id, name: 'pager app', state: 'active' },
      ]);
      expect((await call(h, token, 'DELETE', `/api/v1/me/tokens/${id}`)).status).toBe(204);
      expect((await call(other, token, 'GET', '/api/v1/incidents')).status).toBe(401);
      expect((await call(h, token, 'GET', '/api/v1/incidents')).status).toBe(401);
      expect((await call(other, API_TOKEN, 'GET', '/api/v1/people/bob/tokens')).json.tokens).toMatchObject([
        { id, state: 'revoked', revokedAt: '2026-11-23T10:00:00.000Z' },
      ]);
    } finally {
      await other.close();
      other = undefined;
      await h.close();
      await providers.close();
      dir.remove();
    }
  });

  it('belong to people: a responder manages their own, only an admin anyone’s', async () => {
    h = await startEscalation({ config: peopleConfig() });
    const alice = (await handOut(h, 'alice')).token;
    const carl = (await handOut(h, 'carl')).token;
    const mine = await call(h, alice, 'POST', '/api/v1/me/tokens', { name: 'cli', expiresIn: '30d' });
    expect(mine).toMatchObject({ status: 201, json: { name: 'cli', expiresAt: '2026-12-23T10:00:00.000Z' } });
    expect((await call(h, alice, 'GET', '/api/v1/me/tokens')).json.tokens).toHaveLength(2);
    expect((await call(h, alice, 'GET', '/api/v1/people/bob/tokens')).json).toEqual({
      error: 'alice is a responder; this needs the admin role',
      required: 'admin',
    });
    expect((await call(h, carl, 'POST', '/api/v1/me/tokens', { name: 'x' })).status).toBe(403);
    expect((await call(h, API_TOKEN, 'POST', '/api/v1/people/nobody/tokens', { name: 'x' })).status).toBe(404);
    expect((await call(h, API_TOKEN, 'POST', '/api/v1/me/tokens', { name: 'x' })).status).toBe(403);
    expect((await call(h, alice, 'POST', '/api/v1/me/tokens', { name: 'x', expiresIn: 'soon' })).status).toBe(400);
  });
});
