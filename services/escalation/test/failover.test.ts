import { afterEach, describe, expect, it } from 'vitest';
import type { FakeVonage } from '@klaxon/testing';
import { TWILIO_FROM, type Harness } from './support/escalation-harness.ts';
import { PROVIDER_TIMEOUT_MS, startWithProviders } from './support/provider-env.ts';

const withProviders = (sms: string) => startWithProviders(`providers:\n  sms: ${sms}\n`);

const smsPage = (h: Harness) =>
  Object.values(h.service.index.acting()[0]!.state.pages).find((p) => p.channel === 'sms' && p.contact === 'alice')!;

describe('a second SMS provider, tried at once when the first fails on its side', () => {
  let h: Harness;
  let vonage: FakeVonage;
  afterEach(async () => {
    await h?.close();
    await vonage?.close();
  });

  it('given a P1 paged to alice at 10:00, when Twilio answers 500, then the SMS goes by Vonage at 10:00, not 30 s later, and the timeline names Vonage', async () => {
    ({ h, vonage } = await withProviders('[twilio, vonage]'));
    h.providers.twilio.failNext(500);
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(smsPage(h)).toMatchObject({ outcome: 'delivered', attempts: 1, provider: 'vonage' });
    expect(h.providers.twilio.messages()).toHaveLength(0);
    expect(vonage.messages).toEqual([
      expect.objectContaining({ to: '15550100001', from: TWILIO_FROM, text: expect.stringContaining('OrdersDown') }),
    ]);
    const incidentId = h.service.index.acting()[0]!.state.incidentId;
    const { timeline } = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).json;
    expect(
      timeline.find(
        (e: { type: string; pageId?: string }) => e.type === 'PageDelivered' && e.pageId === smsPage(h).pageId,
      ),
    ).toMatchObject({
      provider: 'vonage',
      providerId: vonage.messages[0]!.messageId,
      at: '2026-11-23T10:00:00.000Z',
    });
    expect(timeline.some((e: { type: string }) => e.type === 'PageFailed')).toBe(false);
  });

  it('when Twilio does not answer at all, then Vonage carries the SMS once the provider timeout passes', async () => {
    ({ h, vonage } = await withProviders('[twilio, vonage]'));
    h.providers.twilio.hangNext();
    const started = Date.now();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(PROVIDER_TIMEOUT_MS);
    expect(smsPage(h)).toMatchObject({ outcome: 'delivered', provider: 'vonage' });
    expect(vonage.messages).toHaveLength(1);
  });

  it('when everything works, the first provider listed carries the page and the second sends nothing', async () => {
    ({ h, vonage } = await withProviders('[twilio, vonage]'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(smsPage(h)).toMatchObject({ outcome: 'delivered', provider: 'twilio' });
    expect(h.providers.twilio.messages()).toHaveLength(1);
    expect(vonage.messages).toHaveLength(0);
  });

  it('when Vonage is listed first and its account is out of quota (status 9), then Twilio carries the SMS', async () => {
    ({ h, vonage } = await withProviders('[vonage, twilio]'));
    vonage.refuseNext('9', 'Partner quota exceeded');
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(smsPage(h)).toMatchObject({ outcome: 'delivered', provider: 'twilio' });
    expect(h.providers.twilio.messages()).toHaveLength(1);
  });

  it('a refusal of the message itself (Twilio 400, a bad number) is not sent again through Vonage', async () => {
    ({ h, vonage } = await withProviders('[twilio, vonage]'));
    h.providers.twilio.failNext(400);
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(smsPage(h)).toMatchObject({ outcome: 'failed', lastError: expect.stringContaining('Twilio 400') });
    expect(vonage.messages).toHaveLength(0);
  });

  it('when both providers are down, the page is retried after the usual 30 s, again from the first provider', async () => {
    ({ h, vonage } = await withProviders('[twilio, vonage]'));
    h.providers.twilio.failNext(503);
    vonage.failNext(502);
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(smsPage(h)).toMatchObject({
      outcome: 'retrying',
      retryAt: '2026-11-23T10:00:30.000Z',
      lastError: expect.stringMatching(/Twilio 503.*Vonage 502/),
    });
    await h.advanceTo('2026-11-23T10:00:30Z');
    expect(smsPage(h)).toMatchObject({ outcome: 'delivered', provider: 'twilio', attempts: 2 });
  });
});
