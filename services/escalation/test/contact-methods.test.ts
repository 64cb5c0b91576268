import { afterEach, describe, expect, it } from 'vitest';
import { signedSmsReply, startEscalation, type Harness } from './support/escalation-harness.ts';
import { API_TOKEN, testConfig } from './support/test-config.ts';

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
const tokenFor = async (h: Harness, person: string): Promise<string> =>
  (await call(h, API_TOKEN, 'POST', `/api/v1/people/${person}/tokens`, { name: 'phone' })).json.token;

const SECOND_PHONE = '+15550109999';
const textsTo = (h: Harness, to: string) => h.providers.twilio.messages().filter((m) => m.To === to);
const codeIn = (text: string) => /code is (\d{6})/.exec(text)![1]!;

/** Alice on call at L1 (sms, email and push), with a token of her own. */
async function aliceOnCall() {
  const config = testConfig();
  config.policies.default!.levels.L1!.channels.push('push');
  const h = await startEscalation({ config });
  return { h, alice: await tokenFor(h, 'alice') };
}

describe("a person's own contact methods", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('given alice added a second phone at 10:00, a P1 at 10:01 does not text it; once she confirms the code, the next P1 does', async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const added = await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'sms', to: SECOND_PHONE });
    expect(added).toMatchObject({
      status: 201,
      json: { type: 'sms', to: SECOND_PHONE, verified: false, source: 'api' },
    });
    const id = added.json.id as string;

    h.clock.set('2026-11-23T10:01:00Z');
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(textsTo(h, SECOND_PHONE)).toHaveLength(0);
    expect(textsTo(h, '+15550100001')).toHaveLength(1);

    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`)).status).toBe(202);
    const [codeText] = textsTo(h, SECOND_PHONE);
    expect(codeText!.Body).toMatch(/code is \d{6}/);
    expect(
      (await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code: codeIn(codeText!.Body) })).status,
    ).toBe(200);
    expect((await call(h, alice, 'GET', '/api/v1/me/methods')).json.methods).toContainEqual(
      expect.objectContaining({ id, verified: true, verifiedAt: '2026-11-23T10:01:00.000Z' }),
    );

    await h.alert({ alertname: 'PaymentsDown', severity: 'critical' });
    expect(textsTo(h, SECOND_PHONE).map((m) => m.Body)).toEqual([
      expect.stringContaining('code is'),
      expect.stringContaining('PaymentsDown'),
    ]);
    expect(textsTo(h, '+15550100001')).toHaveLength(2);
  });

  it("a text from a phone alice added is hers once verified: before, Klaxon does not know it; after, '1a' acknowledges #1 as alice", async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const { id } = (await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'sms', to: SECOND_PHONE })).json;
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(await signedSmsReply(h, SECOND_PHONE, '1a')).toContain('Klaxon does not know this number.');
    expect(h.service.index.acting()[0]!.state.acknowledged).toBeUndefined();

    await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`);
    const code = codeIn(textsTo(h, SECOND_PHONE)[0]!.Body);
    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code })).status).toBe(200);
    expect(await signedSmsReply(h, SECOND_PHONE, '1a')).toContain('Acknowledged #1');
    await h.service.drained();
    expect(h.service.index.acting()[0]!.state.acknowledged).toMatchObject({ by: 'alice', via: 'sms' });
  });

  it('a code is good for ten minutes: sent at 10:00, typed at 10:10, it has expired and the method stays unpaged', async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const { id } = (await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'sms', to: SECOND_PHONE })).json;
    await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`);
    const code = codeIn(textsTo(h, SECOND_PHONE)[0]!.Body);
    h.clock.set('2026-11-23T10:10:00Z');
    expect(await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code })).toMatchObject({
      status: 410,
      json: { code: 'CodeExpired' },
    });
    expect((await call(h, alice, 'GET', '/api/v1/me/methods')).json.methods).toContainEqual(
      expect.objectContaining({ id, verified: false }),
    );
  });

  it('five wrong codes, and even the right one is refused until a new code is asked for', async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const { id } = (await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'sms', to: SECOND_PHONE })).json;
    await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`);
    const code = codeIn(textsTo(h, SECOND_PHONE)[0]!.Body);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let left = 4; left >= 0; left--)
      expect(await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code: wrong })).toMatchObject({
        status: 422,
        json: { attemptsLeft: left },
      });
    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code })).status).toBe(429);
    await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`);
    const fresh = codeIn(textsTo(h, SECOND_PHONE)[1]!.Body);
    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code: fresh })).status).toBe(200);
  });

  it("klaxon.yaml's methods count as verified and are not removed through the API; another person's method is not mine", async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const methods = (await call(h, alice, 'GET', '/api/v1/me/methods')).json.methods;
    expect(methods).toEqual([
      { id: 'sms', type: 'sms', to: '+15550100001', source: 'config', verified: true, verifiedAt: null },
      { id: 'voice', type: 'voice', to: '+15550100001', source: 'config', verified: true, verifiedAt: null },
      { id: 'email', type: 'email', to: 'alice@example.com', source: 'config', verified: true, verifiedAt: null },
    ]);
    expect((await call(h, alice, 'DELETE', '/api/v1/me/methods/sms')).status).toBe(409);
    const bob = await tokenFor(h, 'bob');
    const { id } = (await call(h, bob, 'POST', '/api/v1/me/methods', { type: 'sms', to: SECOND_PHONE })).json;
    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`)).status).toBe(404);
    expect((await call(h, alice, 'DELETE', `/api/v1/me/methods/${id}`)).status).toBe(404);
    expect((await call(h, bob, 'DELETE', `/api/v1/me/methods/${id}`)).status).toBe(204);
    expect((await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'sms', to: '0301234' })).status).toBe(400);
    expect((await call(h, API_TOKEN, 'GET', '/api/v1/me/methods')).status).toBe(403);
  });

  it('a test page goes to the one method asked for, verified or not', async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const { id } = (await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'sms', to: SECOND_PHONE })).json;
    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/test`)).status).toBe(202);
    expect((await call(h, alice, 'POST', '/api/v1/me/methods/email/test')).status).toBe(202);
    expect(textsTo(h, SECOND_PHONE).map((m) => m.Body)).toEqual([expect.stringContaining('test page')]);
    expect(h.providers.smtp.mails.map((m) => m.subject)).toEqual(['Klaxon test page']);
    expect(textsTo(h, '+15550100001')).toHaveLength(0);
  });

  it('push by ntfy: alice verifies her topic by the code it shows, then a P1 is published there with its priority, link and an Acknowledge button that works', async () => {
    let alice: string;
    ({ h, alice } = await aliceOnCall());
    const topic = h.providers.ntfy.topic('alice-pager-5f2a');
    const { id } = (await call(h, alice, 'POST', '/api/v1/me/methods', { type: 'push', to: topic })).json;
    await call(h, alice, 'POST', `/api/v1/me/methods/${id}/verify`);
    const code = codeIn(h.providers.ntfy.messages[0]!.message);
    expect((await call(h, alice, 'POST', `/api/v1/me/methods/${id}/confirm`, { code })).status).toBe(200);

    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const incident = h.service.index.acting()[0]!.state;
    const page = h.providers.ntfy.messages[1]!;
    expect(page).toMatchObject({
      topic: 'alice-pager-5f2a',
      title: expect.stringContaining(`[P1] #${incident.number}`),
      priority: '5',
      tags: 'rotating_light',
      click: expect.stringMatching(/^https:\/\/klaxon\.example\.com\/i\/[^/]+$/),
      message: expect.stringContaining('L1: OrdersDown'),
    });
    // The button posts to the page's one-tap link: it acknowledges as alice, without a sign-in.
    const ack =
      /^http, Acknowledge, (https:\/\/klaxon\.example\.com(\/i\/[^,]+\/acknowledge)), method=POST, clear=true$/.exec(
        page.actions!,
      );
    expect(ack).not.toBeNull();
    expect(ack![1]).toBe(`${page.click}/acknowledge`);
    const pressed = await fetch(`${h.base}${ack![2]}`, { method: 'POST', redirect: 'manual' });
    await h.service.drained();
    expect(pressed.status).toBe(303);
    expect(h.service.index.acting()[0]?.state.status ?? h.service.index.get(incident.incidentId)?.state.status).toBe(
      'acknowledged',
    );
  });
});
