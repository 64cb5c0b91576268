import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import type { FakeVonage } from '@klaxon/testing';
import { PUBLIC_URL, type Harness } from './support/escalation-harness.ts';
import { startWithProviders } from './support/provider-env.ts';

const incidentOf = (h: Harness) => h.service.index.acting()[0]!.state;
const alicesSms = (h: Harness) =>
  Object.values(incidentOf(h).pages).find((p) => p.channel === 'sms' && p.contact === 'alice')!;

/** Twilio's status callback for the message it sent, to the URL the message named, signed as Twilio signs it. */
async function receipt(
  h: Harness,
  message: { sid: string; statusCallback: string },
  status: string,
  options: { errorCode?: string; sign?: (url: string, params: Record<string, string>) => string } = {},
) {
  const params: Record<string, string> = {
    MessageSid: message.sid,
    MessageStatus: status,
    AccountSid: h.providers.twilio.accountSid,
    ...(options.errorCode ? { ErrorCode: options.errorCode } : {}),
  };
  const sign = options.sign ?? ((url, p) => twilio.getExpectedTwilioSignature(h.providers.twilio.authToken, url, p));
  const response = await fetch(`${h.base}${message.statusCallback.slice(PUBLIC_URL.length)}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': sign(message.statusCallback, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  await h.service.drained();
  return response.status;
}

const twilioMessageTo = (h: Harness, to: string) => {
  const request = h.providers.twilio.requests.find((r) => r.resource === 'Messages' && r.params.To === to)!;
  return { sid: request.sid, statusCallback: request.params.StatusCallback! };
};

async function timeline(h: Harness) {
  return (await h.api('GET', `/api/v1/incidents/${incidentOf(h).incidentId}`)).json.timeline as Array<
    Record<string, unknown>
  >;
}

describe("Twilio's delivery receipts", () => {
  let h: Harness;
  let vonage: FakeVonage;
  afterEach(async () => {
    await h?.close();
    await vonage?.close();
  });

  it('each SMS asks Twilio for its receipt at /webhooks/twilio/status, naming its incident and page', async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  sms: [twilio, vonage]\n'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const { incidentId } = incidentOf(h);
    expect(twilioMessageTo(h, '+15550100001').statusCallback).toBe(
      `${PUBLIC_URL}/webhooks/twilio/status?incident=${incidentId}&page=${alicesSms(h).pageId}`,
    );
  });

  it("given a P1 texted to alice at 10:00, when Twilio reports it delivered at 10:00:20, then the timeline says it reached alice's phone", async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  sms: [twilio, vonage]\n'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    h.clock.set('2026-11-23T10:00:20Z');
    expect(await receipt(h, twilioMessageTo(h, '+15550100001'), 'sent')).toBe(204);
    expect(alicesSms(h).confirmedAt).toBeUndefined();
    expect(await receipt(h, twilioMessageTo(h, '+15550100001'), 'delivered')).toBe(204);
    expect(alicesSms(h)).toMatchObject({ outcome: 'delivered', confirmedAt: '2026-11-23T10:00:20.000Z' });
    expect((await timeline(h)).filter((e) => e.type === 'PageConfirmed')).toEqual([
      expect.objectContaining({ pageId: alicesSms(h).pageId, status: 'delivered', provider: 'twilio' }),
    ]);
  });

  it('given a P1 texted to alice at 10:00, when Twilio reports it undelivered at 10:01, then Vonage carries it at 10:01, not at the next timer', async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  sms: [twilio, vonage]\n'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    h.clock.set('2026-11-23T10:01:00Z');
    expect(await receipt(h, twilioMessageTo(h, '+15550100001'), 'undelivered', { errorCode: '30003' })).toBe(204);
    expect(vonage.messages).toEqual([expect.objectContaining({ to: '15550100001' })]);
    expect(alicesSms(h)).toMatchObject({ outcome: 'delivered', provider: 'vonage', attempts: 2 });
    const events = (await timeline(h)).filter((e) => e.pageId === alicesSms(h).pageId).map((e) => [e.type, e.at]);
    expect(events).toEqual([
      ['PageRequested', '2026-11-23T10:00:00.000Z'],
      ['PageDelivered', '2026-11-23T10:00:00.000Z'],
      ['PageFailed', '2026-11-23T10:01:00.000Z'],
      ['PageDelivered', '2026-11-23T10:01:00.000Z'],
    ]);
    expect((await timeline(h)).find((e) => e.type === 'PageFailed')).toMatchObject({
      receipt: 'undelivered',
      provider: 'twilio',
      error: 'undelivered (Twilio error 30003)',
    });
  });

  it('with Twilio alone, an undelivered SMS is failed for good (no other provider to try); the email page stands', async () => {
    ({ h, vonage } = await startWithProviders(''));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(await receipt(h, twilioMessageTo(h, '+15550100001'), 'undelivered')).toBe(204);
    expect(alicesSms(h)).toMatchObject({ outcome: 'failed' });
    expect(h.providers.twilio.messages()).toHaveLength(1);
    expect((await timeline(h)).some((e) => e.type === 'ContactUnreachable')).toBe(false);
  });

  it('a receipt without a valid X-Twilio-Signature is refused and changes nothing', async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  sms: [twilio, vonage]\n'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const message = twilioMessageTo(h, '+15550100001');
    const forged = (url: string, params: Record<string, string>) =>
      twilio.getExpectedTwilioSignature('not-the-auth-token-0000000000000', url, params);
    expect(await receipt(h, message, 'undelivered', { sign: forged })).toBe(403);
    expect(await receipt(h, message, 'undelivered', { sign: () => '' })).toBe(403);
    expect(alicesSms(h)).toMatchObject({ outcome: 'delivered', provider: 'twilio', attempts: 1 });
    expect(vonage.messages).toHaveLength(0);
  });

  it("a signed receipt for another message than the page's is not taken for the page", async () => {
    ({ h, vonage } = await startWithProviders('providers:\n  sms: [twilio, vonage]\n'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const message = twilioMessageTo(h, '+15550100001');
    expect(await receipt(h, { ...message, sid: 'SMsomeoneelse' }, 'undelivered')).toBe(204);
    expect(alicesSms(h)).toMatchObject({ outcome: 'delivered', attempts: 1 });
    expect(vonage.messages).toHaveLength(0);
  });
});
