import { afterEach, describe, expect, it } from 'vitest';
import { PUBLIC_URL, startEscalation, type Harness } from './support/escalation-harness.ts';
import { API_TOKEN } from './support/test-config.ts';

/** The one-tap link in the first SMS to alice, as a path on the harness's server. */
const linkInSms = (h: Harness, n = 0): string => {
  const body = h.providers.twilio.messages()[n]!.Body;
  const url = new RegExp(`${PUBLIC_URL}(/i/[\\w-]+\\.[\\w-]+)`).exec(body)?.[1];
  if (!url) throw new Error(`no one-tap link in: ${body}`);
  return url;
};
const tap = (h: Harness, link: string, action: string) =>
  fetch(`${h.base}${link}/${action}`, { method: 'POST', redirect: 'manual' });

describe('one-tap links in pages', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('given a P1 paged to alice at 10:00, when she opens the link of her SMS, she sees the incident and nothing changes until she taps Acknowledge, which is recorded as hers', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' }, { summary: 'Orders API returns 503' });
    const link = linkInSms(h);
    const opened = await fetch(`${h.base}${link}`);
    expect(opened.status).toBe(200);
    const page = await opened.text();
    expect(page).toContain('[P1] #1 Orders API returns 503');
    expect(page).toContain(`action="${link}/acknowledge"`);
    expect(page).toContain('Acknowledge as alice');
    // A mail scanner opening every link acts on nothing.
    expect(h.service.index.acting()[0]!.state.status).toBe('open');

    const tapped = await tap(h, link, 'acknowledge');
    expect(tapped.status).toBe(303);
    expect(tapped.headers.get('location')).toBe(link);
    expect(h.service.index.acting()[0]!.state.acknowledged).toMatchObject({ by: 'alice', via: 'link' });
    const { timeline } = (await h.api('GET', `/api/v1/incidents/${h.service.index.acting()[0]!.state.incidentId}`))
      .json as { timeline: { type: string; actor?: unknown }[] };
    expect(timeline.find((e) => e.type === 'Acknowledged')).toMatchObject({
      actor: { kind: 'person', name: 'alice' },
    });
    // Acknowledged: the page now offers resolve and escalate only.
    const after = await (await fetch(`${h.base}${link}`)).text();
    expect(after).not.toContain('Acknowledge as');
    expect(after).toContain('Resolve as alice');
    expect((await tap(h, link, 'acknowledge')).status).toBe(409);
  });

  it('escalates to L2 and resolves as the person the link was made for', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const link = linkInSms(h);
    expect((await tap(h, link, 'escalate')).status).toBe(303);
    expect(h.service.index.acting()[0]!.state.level).toBe(2);
    expect((await tap(h, link, 'resolve')).status).toBe(303);
    const [summary] = h.service.index.summaries();
    expect(summary).toMatchObject({ status: 'resolved', resolved: { by: 'alice', via: 'link' } });
    expect(await (await fetch(`${h.base}${link}`)).text()).not.toContain('<form');
  });

  it("refuses a link whose incident was swapped for another's, and a tampered signature, with 403", async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' }, { groupKey: 'orders', fingerprint: 'orders' });
    await h.alert({ alertname: 'PaymentsDown', severity: 'critical' }, { groupKey: 'pay', fingerprint: 'pay' });
    const link = linkInSms(h);
    const [payload, signature] = link.slice('/i/'.length).split('.') as [string, string];
    const { i: first, p: person } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      i: string;
      p: string;
    };
    const other = h.service.index.acting().find((a) => a.state.incidentId !== first)!.state.incidentId;
    const swapped = `/i/${Buffer.from(JSON.stringify({ i: other, p: person })).toString('base64url')}.${signature}`;
    expect((await fetch(`${h.base}${swapped}`)).status).toBe(403);
    expect((await tap(h, swapped, 'acknowledge')).status).toBe(403);
    expect((await tap(h, `${link.slice(0, -2)}xx`, 'acknowledge')).status).toBe(403);
    expect(h.service.index.get(other)!.state.status).toBe('open');
    expect(h.service.index.get(first)!.state.status).toBe('open');
  });

  it('given an incident resolved at 10:30, its link works until 10:30 the next day and answers 410 from then on', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const link = linkInSms(h);
    await h.advanceTo('2026-11-23T10:30:00Z');
    expect((await tap(h, link, 'resolve')).status).toBe(303);
    h.clock.set('2026-11-24T10:29:59Z');
    expect((await fetch(`${h.base}${link}`)).status).toBe(200);
    h.clock.set('2026-11-24T10:30:00Z');
    expect((await fetch(`${h.base}${link}`)).status).toBe(410);
    expect((await tap(h, link, 'escalate')).status).toBe(410);
  });

  it('is no credential for anything else: not the API, not another action', async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const link = linkInSms(h);
    const capability = link.slice('/i/'.length);
    const id = h.service.index.acting()[0]!.state.incidentId;
    const asBearer = await fetch(`${h.base}/api/v1/incidents/${id}/acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${capability}` },
    });
    expect(asBearer.status).toBe(401);
    expect((await tap(h, link, 'reopen')).status).toBe(404);
    expect((await tap(h, link, 'status-updates')).status).toBe(404);
    expect(h.service.index.acting()[0]!.state.status).toBe('open');
  });

  it("counts the link's person in the post-mortem's participants, and not a script that acted as itself", async () => {
    h = await startEscalation();
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const id = h.service.index.acting()[0]!.state.incidentId;
    expect((await tap(h, linkInSms(h), 'acknowledge')).status).toBe(303);
    // The service token posts in its own name: a script, no participant.
    expect((await h.api('POST', `/api/v1/incidents/${id}/status-updates`, { text: 'failover running' })).status).toBe(
      200,
    );
    const draft = await (
      await fetch(`${h.base}/api/v1/incidents/${id}/postmortem`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
    ).text();
    expect(draft).toMatch(/\| Participants \| alice \|/);
  });
});
