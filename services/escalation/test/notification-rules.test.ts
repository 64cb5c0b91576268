import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeVonage } from '@klaxon/testing';
import { PUBLIC_URL, type Harness } from './support/escalation-harness.ts';
import { startWithProviders } from './support/provider-env.ts';
import { API_TOKEN } from './support/test-config.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
const call = async (h: Harness, token: string, method: string, path: string, body?: unknown): Promise<any> => {
  const response = await fetch(`${h.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await h.service.drained();
  return { status: response.status, json: await response.json() };
};

const alicesPages = (h: Harness) =>
  Object.values(h.service.index.acting()[0]!.state.pages)
    .filter((p) => p.contact === 'alice')
    .map((p) => `${p.requestedAt.slice(11, 16)} ${p.channel}`);

describe('notification rules a person sets through the API', () => {
  let h: Harness;
  let vonage: FakeVonage;
  afterEach(async () => {
    await h?.close();
    await vonage?.close();
  });

  async function aliceWithRules(high: Array<{ after: string; method: string }>) {
    ({ h, vonage } = await startWithProviders(''));
    const token = (await call(h, API_TOKEN, 'POST', '/api/v1/people/alice/tokens', { name: 'phone' })).json.token;
    const set = await call(h, token, 'PUT', '/api/v1/me/rules', { high, quietHours: { from: '22:00', to: '07:00' } });
    expect(set.status).toBe(200);
    return token as string;
  }

  it('given alice set "email at once, SMS a minute later", a P1 at 10:00 emails her at 10:00 and texts her at 10:01, not both at once', async () => {
    const token = await aliceWithRules([
      { after: '0m', method: 'email' },
      { after: '1m', method: 'sms' },
    ]);
    expect((await call(h, token, 'GET', '/api/v1/me/rules')).json).toEqual({
      rules: {
        high: [
          { afterMs: 0, method: 'email' },
          { afterMs: 60_000, method: 'sms' },
        ],
      },
      quietHours: { from: '22:00', to: '07:00' },
      source: 'api',
    });
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(alicesPages(h)).toEqual(['10:00 email']);
    await h.advanceTo('2026-11-23T10:01:00Z');
    expect(alicesPages(h)).toEqual(['10:00 email', '10:01 sms']);
    expect(h.providers.twilio.messages().filter((m) => m.To === '+15550100001')).toHaveLength(1);
  });

  it("when Twilio reports alice's SMS undelivered at 10:01, her next step (the call due at 10:05) goes out at 10:01", async () => {
    await aliceWithRules([
      { after: '0m', method: 'sms' },
      { after: '5m', method: 'voice' },
    ]);
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const sms = h.providers.twilio.requests.find((r) => r.resource === 'Messages')!;
    h.clock.set('2026-11-23T10:01:00Z');
    const params = { MessageSid: sms.sid, MessageStatus: 'undelivered', ErrorCode: '30003' };
    const url = sms.params.StatusCallback!;
    const answer = await fetch(`${h.base}${url.slice(PUBLIC_URL.length)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(h.providers.twilio.authToken, url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(answer.status).toBe(204);
    await h.advanceTo('2026-11-23T10:01:00Z');
    expect(alicesPages(h)).toEqual(['10:00 sms', '10:01 voice']);
    expect(h.providers.twilio.calls().map((c) => c.To)).toEqual(['+15550100001']);
  });

  it('a rule with a step going back in time, or a duration that is none, is refused', async () => {
    const token = await aliceWithRules([{ after: '0m', method: 'sms' }]);
    const back = [
      { after: '5m', method: 'sms' },
      { after: '1m', method: 'voice' },
    ];
    expect((await call(h, token, 'PUT', '/api/v1/me/rules', { high: back })).status).toBe(400);
    expect((await call(h, token, 'PUT', '/api/v1/me/rules', { low: [{ after: 'soon', method: 'sms' }] })).status).toBe(
      400,
    );
    expect((await call(h, API_TOKEN, 'GET', '/api/v1/me/rules')).status).toBe(403);
  });
});
