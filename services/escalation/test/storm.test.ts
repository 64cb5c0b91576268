import { ALERTS_TOPIC } from '@klaxon/bus';
import type { AlertReceived } from '@klaxon/domain';
import twilio from 'twilio';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PUBLIC_URL, signedSmsReply, startEscalation, type Harness } from './support/escalation-harness.ts';

const ALICE = '+15550100001';
const TOM = '+15550100003';
const ERIN = '+15550100004';
const GROUPS = 300;

const alertFor = (n: number, at: string): AlertReceived => ({
  type: 'AlertReceived',
  version: 1,
  source: 'alertmanager',
  integration: 'alertmanager',
  fingerprint: `storm-${n}`,
  groupKey: `{}:{instance="db-${n}"}`,
  status: 'firing',
  labels: { alertname: 'DiskFull', instance: `db-${n}`, severity: n % 10 === 0 ? 'critical' : 'warning' },
  annotations: { summary: `Disk full on db-${n}` },
  startsAt: at,
  receivedAt: at,
});

const smsReply = (h: Harness, body: string) => signedSmsReply(h, ALICE, body);

describe('an alert storm: every group its own incident, but the person on call is not flooded', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it(`given ${GROUPS} distinct groups at once, alice gets a handful of messages, and one reply acknowledges them all`, async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    const at = h.clock.now().toISOString();
    await h.bus.publish(
      ALERTS_TOPIC,
      Array.from({ length: GROUPS }, (_, n) => ({ key: `g${n}`, value: alertFor(n, at) })),
    );
    await vi.waitFor(() => expect(h.service.index.acting()).toHaveLength(GROUPS), { timeout: 30_000, interval: 50 });
    await h.service.drained();

    const incidents = h.service.index.acting().map((i) => i.state);
    const l1Pages = incidents.flatMap((s) => Object.values(s.pages));
    expect(l1Pages).toHaveLength(GROUPS * 2);
    expect(l1Pages.every((p) => p.outcome === 'delivered')).toBe(true);
    const sms = h.providers.twilio.messages().filter((m) => m.To === ALICE);
    expect(sms.length).toBeGreaterThanOrEqual(1);
    expect(sms.length).toBeLessThanOrEqual(3);
    expect(h.providers.smtp.mails.length).toBeLessThanOrEqual(3);

    const bundleSms = sms.find((m) => /Reply \d+aa/.test(m.Body))!;
    expect(bundleSms.Body).toMatch(/incidents for you, \d+ open, highest P1\./);
    const code = /Reply (\d+)aa/.exec(bundleSms.Body)![1]!;
    const bundled = incidents.filter((s) =>
      Object.values(s.pages).some((p) => p.channel === 'sms' && p.bundle === Number(code)),
    );
    expect(bundleSms.Body).toContain(`Klaxon: ${bundled.length} incidents`);

    // One reply per bundle that reached alice; each acknowledges every incident in it.
    for (const m of sms) {
      const reply = /Reply (\d+a)a?/.exec(m.Body)![0].replace('Reply ', '');
      expect(await smsReply(h, reply)).toMatch(/Acknowledged/);
    }
    await h.service.drained();
    expect(h.service.index.acting().filter((i) => i.state.status === 'acknowledged')).toHaveLength(GROUPS);
    expect(
      h.service.index.acting().every((i) => i.state.acknowledged?.by === 'alice' && i.state.acknowledged.via === 'sms'),
    ).toBe(true);

    // Acknowledged in time: no incident escalates to L2 at its ack timeout (5 min for P1, 1 h for P3).
    await h.advanceTo('2026-11-23T10:20:00Z');
    expect(h.service.index.acting().filter((i) => i.state.level > 1)).toHaveLength(0);
    expect(h.providers.twilio.messages().filter((m) => m.To === TOM)).toHaveLength(0);
  }, 60_000);

  it('given alerts 10 s apart, then 3 SMS at once (the burst), and what comes during the next minute waits and goes out as one bundle', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    for (let n = 0; n < 6; n++) {
      await h.advanceTo(`2026-11-23T10:00:${String(n * 10).padStart(2, '0')}Z`);
      await h.alert({ alertname: `Service${n}Down`, severity: 'critical' });
    }
    const sent = () =>
      h.providers.twilio.requests
        .filter((r) => r.resource === 'Messages' && r.params.To === ALICE)
        .map((r) => r.at.getTime());
    expect(sent()).toHaveLength(3);
    expect(
      h.service.index
        .acting()
        .filter((i) => Object.values(i.state.pages).some((p) => p.channel === 'sms' && p.outcome === 'pending')),
    ).toHaveLength(3);
    await h.advanceTo('2026-11-23T10:00:59Z');
    expect(sent()).toHaveLength(3);
    await h.advanceTo('2026-11-23T10:01:00Z');
    const messages = h.providers.twilio.messages().filter((m) => m.To === ALICE);
    expect(messages).toHaveLength(4);
    expect(messages[3]!.Body).toMatch(
      /^Klaxon: 3 incidents for you, 3 open, highest P1\. #4 Service3Down is firing; #5 Service4Down is firing; #6 Service5Down is firing\. Reply \d+aa to ack all/,
    );
    const code = /Reply (\d+)aa/.exec(messages[3]!.Body)![1];
    expect(await smsReply(h, `${code}cc`)).toContain(`Resolved 3 of 3 incidents of bundle ${code}`);
    expect(
      h.service.index
        .summaries()
        .filter((i) => i.status === 'resolved')
        .map((i) => i.number)
        .sort(),
    ).toEqual([4, 5, 6]);
  });

  it('calls are throttled too: after two calls the rest wait a minute, and one keypress on the bundle call acknowledges them all', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    // Security alerts go straight to L3 (erin, by voice).
    for (let n = 0; n < 5; n++) await h.alert({ alertname: `Breach${n}`, category: 'security', severity: 'critical' });
    const calls = () => h.providers.twilio.calls().filter((c) => c.To === ERIN);
    expect(calls()).toHaveLength(2);
    await h.advanceTo('2026-11-23T10:01:00Z');
    expect(calls()).toHaveLength(3);
    const twiml = calls()[2]!.Twiml;
    expect(twiml).toContain('3 incidents for you, 3 open, the highest severity 1');
    const action = /action="([^"]+)"/.exec(twiml)![1]!.replace(/&amp;/g, '&');
    const params = { Digits: '1', CallSid: 'CA1' };
    const signature = twilio.getExpectedTwilioSignature(h.providers.twilio.authToken, action, params);
    const response = await fetch(`${h.base}${action.slice(PUBLIC_URL.length)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params),
    });
    expect(await response.text()).toContain('Acknowledged 3 incidents');
    const acked = h.service.index
      .acting()
      .filter((i) => i.state.acknowledged?.by === 'erin' && i.state.acknowledged.via === 'voice');
    expect(acked.map((i) => i.state.title).sort()).toEqual([
      'Breach2 is firing',
      'Breach3 is firing',
      'Breach4 is firing',
    ]);
  });
});
