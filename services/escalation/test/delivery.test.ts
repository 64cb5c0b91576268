import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const pagesOf = (h: Harness) => Object.values(h.service.index.acting()[0]!.state.pages);

describe('page delivery', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a provider error that may pass is retried after 30 s and then delivered', async () => {
    h = await startEscalation();
    h.providers.twilio.failNext(503);
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(pagesOf(h).find((p) => p.channel === 'sms')).toMatchObject({
      outcome: 'retrying',
      attempts: 1,
      retryAt: '2026-11-23T10:00:30.000Z',
    });
    await h.advanceTo('2026-11-23T10:00:30Z');
    expect(pagesOf(h).find((p) => p.channel === 'sms')).toMatchObject({ outcome: 'delivered', attempts: 2 });
    const metrics = await (await fetch(`${h.base}/metrics`)).text();
    expect(metrics).toContain('klaxon_pages_sent_total{channel="sms",outcome="retrying",service="escalation"} 1');
    expect(metrics).toContain('klaxon_pages_sent_total{channel="sms",outcome="delivered",service="escalation"} 1');
  });

  it("Twilio's 429 is honoured: the page is tried again when its Retry-After says (5 s), not after the usual 30 s", async () => {
    h = await startEscalation();
    h.providers.twilio.failNext(429, 1, { 'retry-after': '5' });
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(pagesOf(h).find((p) => p.channel === 'sms')).toMatchObject({
      outcome: 'retrying',
      attempts: 1,
      retryAt: '2026-11-23T10:00:05.000Z',
      lastError: expect.stringContaining('Twilio 429'),
    });
    await h.advanceTo('2026-11-23T10:00:04Z');
    expect(pagesOf(h).find((p) => p.channel === 'sms')).toMatchObject({ outcome: 'retrying' });
    await h.advanceTo('2026-11-23T10:00:05Z');
    expect(pagesOf(h).find((p) => p.channel === 'sms')).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(h.providers.twilio.messages()).toHaveLength(1);
  });

  it('a refused page is not retried; a contact whose every channel failed is recorded unreachable and escalation goes on', async () => {
    h = await startEscalation();
    h.providers.twilio.failNext(400);
    await h.providers.smtp.close();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(pagesOf(h).find((p) => p.channel === 'sms')).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      lastError: expect.stringContaining('Twilio 400'),
    });
    const email = pagesOf(h).find((p) => p.channel === 'email');
    expect(email).toMatchObject({ outcome: 'retrying' });
    await h.advanceTo('2026-11-23T10:05:00Z');
    expect(pagesOf(h).find((p) => p.channel === 'email')).toMatchObject({ outcome: 'failed', attempts: 4 });
    const { timeline } = (await h.api('GET', `/api/v1/incidents/${h.service.index.acting()[0]!.state.incidentId}`))
      .json;
    expect(timeline.filter((e: { type: string }) => e.type === 'ContactUnreachable')).toEqual([
      expect.objectContaining({ contact: 'alice', level: 1 }),
    ]);
    expect(timeline.some((e: { type: string; toLevel?: number }) => e.type === 'Escalated' && e.toLevel === 2)).toBe(
      true,
    );
  });

  it('a resolution notice that failed for a while is retried after 30 s and delivered, though the incident is resolved', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const incidentId = h.service.index.acting()[0]!.state.incidentId;
    h.providers.twilio.failNext(503);
    expect((await h.api('POST', `/api/v1/incidents/${incidentId}/resolve`, { by: 'alice' })).status).toBe(200);
    const notice = pagesOf(h).find((p) => p.purpose === 'resolution' && p.channel === 'sms')!;
    expect(notice).toMatchObject({ outcome: 'retrying', attempts: 1, retryAt: '2026-11-23T10:00:30.000Z' });
    await h.advanceTo('2026-11-23T10:00:30Z');
    expect(h.providers.twilio.messages().filter((m) => m.Body.includes('RESOLVED'))).toHaveLength(1);
    const { timeline } = (await h.api('GET', `/api/v1/incidents/${incidentId}`)).json;
    expect(
      timeline
        .filter((e: { pageId?: string }) => e.pageId === notice.pageId)
        .map((e: { type: string; at: string }) => `${e.type} ${e.at}`),
    ).toEqual([
      'PageRequested 2026-11-23T10:00:00.000Z',
      'PageFailed 2026-11-23T10:00:00.000Z',
      'PageDelivered 2026-11-23T10:00:30.000Z',
    ]);
  });
});
