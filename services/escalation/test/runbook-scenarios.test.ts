import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, TWILIO_FROM, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const ALICE = '+15550100001';
const TOM = '+15550100003';
const ERIN = '+15550100004';
const CARL = '+15550100005';
const at = (hhmm: string) => `2026-11-23T${hhmm}:00.000Z`;

async function onlyIncident(h: Harness) {
  const { json } = await h.api('GET', '/api/v1/incidents');
  expect(json.incidents).toHaveLength(1);
  return (await h.api('GET', `/api/v1/incidents/${json.incidents[0].id}`)).json;
}

const escalations = (
  timeline: Array<{ type: string; at: string; fromLevel: number; toLevel: number; reason: string }>,
) =>
  timeline
    .filter((e) => e.type === 'Escalated')
    .map((e) => `${e.at.slice(11, 16)} L${e.fromLevel}->L${e.toLevel} ${e.reason}`);

describe('runbook scenarios on virtual time, with real providers on loopback', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a P1 nobody acknowledges: L1 paged at 10:00, L2 at the 5-minute ack timeout, then L3 and L4', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    expect(h.providers.twilio.messages().map((m) => [m.To, m.From])).toEqual([[ALICE, TWILIO_FROM]]);
    expect(h.providers.smtp.mails.map((m) => (m.to && 'text' in m.to ? m.to.text : ''))).toEqual(['alice@example.com']);

    await h.advanceTo(at('10:04'));
    expect(h.providers.twilio.messages()).toHaveLength(1);
    await h.advanceTo(at('10:05'));
    expect(h.providers.twilio.messages().map((m) => m.To)).toEqual([ALICE, TOM]);
    await h.advanceTo(at('10:20'));
    expect(h.providers.twilio.calls().map((c) => c.To)).toEqual([ERIN, CARL]);
    const { timeline } = await onlyIncident(h);
    expect(escalations(timeline)).toEqual(['10:05 L1->L2 timeout', '10:10 L2->L3 timeout', '10:15 L3->L4 timeout']);
  });

  it('a P1 acknowledged but not resolved: L2 at 30 min, L3 at 1 h, L4 at 2 h', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const { incidents } = (await h.api('GET', '/api/v1/incidents?status=open')).json;
    await h.advanceTo(at('10:03'));
    expect((await h.api('POST', `/api/v1/incidents/${incidents[0].id}/acknowledge`, { by: 'alice' })).status).toBe(200);
    await h.advanceTo(at('13:00'));
    const { incident, timeline } = await onlyIncident(h);
    expect(incident).toMatchObject({ status: 'acknowledged', level: 'L4', acknowledged: { by: 'alice', via: 'api' } });
    expect(escalations(timeline)).toEqual(['10:30 L1->L2 timeout', '11:00 L2->L3 timeout', '12:00 L3->L4 timeout']);
  });

  it('a security alert escalates to L3 at once', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'IntrusionDetected', severity: 'critical', category: 'security' });
    const { incident, timeline } = await onlyIncident(h);
    expect(incident.level).toBe('L3');
    expect(escalations(timeline)).toEqual(['10:00 L1->L3 rule']);
    expect(h.providers.twilio.calls().map((c) => c.To)).toEqual([ERIN]);
  });

  it('resolving stops every timer: nothing more is paged all day but the resolution notices', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await h.advanceTo(at('10:02'));
    await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' });
    const sent = h.providers.twilio.requests.length;
    await h.advanceTo('2026-11-24T10:00:00.000Z');
    expect(h.providers.twilio.requests.slice(sent)).toEqual([]);
    expect(h.providers.twilio.messages().at(-1)?.Body).toMatch(/RESOLVED #1/);
    expect(h.service.timers.nextDueAt()).toBeUndefined();
  });

  it('the source resolving every alert of the group resolves the incident', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'DiskFull', severity: 'warning' }, { fingerprint: 'a' });
    await h.alert({ alertname: 'DiskFull', severity: 'warning' }, { fingerprint: 'b' });
    await h.alert({ alertname: 'DiskFull', severity: 'warning' }, { fingerprint: 'a', status: 'resolved' });
    expect((await onlyIncident(h)).incident.status).toBe('open');
    await h.alert({ alertname: 'DiskFull', severity: 'warning' }, { fingerprint: 'b', status: 'resolved' });
    expect((await onlyIncident(h)).incident).toMatchObject({ status: 'resolved', resolved: { via: 'source' } });
    await h.advanceTo(at('10:20'));
    await h.alert({ alertname: 'DiskFull', severity: 'warning' }, { fingerprint: 'a' });
    const { incidents } = (await h.api('GET', '/api/v1/incidents')).json;
    expect(incidents.map((i: { number: number; status: string }) => [i.number, i.status])).toEqual([
      [2, 'open'],
      [1, 'resolved'],
    ]);
  });

  it('a firing alert delivered again after its incident resolved (a crash before the commit) opens nothing and pages no one', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await h.advanceTo(at('10:02'));
    await h.alert(
      { alertname: 'OrdersDown', service: 'orders', severity: 'critical' },
      { status: 'resolved', startsAt: at('10:00') },
    );
    expect((await h.api('GET', `/api/v1/incidents/${id}`)).json.incident.status).toBe('resolved');
    const sent = h.providers.twilio.requests.length;
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' }, { startsAt: at('10:00') });
    expect((await h.api('GET', '/api/v1/incidents')).json.incidents).toHaveLength(1);
    expect(h.providers.twilio.requests.slice(sent)).toEqual([]);
    // The same alert starting again later is the group's next incident.
    await h.advanceTo(at('10:30'));
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    expect((await h.api('GET', '/api/v1/incidents')).json.incidents.map((i: { number: number }) => i.number)).toEqual([
      2, 1,
    ]);
  });

  it('status-update reminders go to the current responder at the P1 cadence of 30 minutes', async () => {
    h = await startEscalation({ start: at('10:00') });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    await h.advanceTo(at('10:20'));
    expect(
      (await h.api('POST', `/api/v1/incidents/${id}/status-updates`, { by: 'alice', text: 'Failing over the primary' }))
        .status,
    ).toBe(200);
    await h.advanceTo(at('10:29'));
    const { timeline } = (await h.api('GET', `/api/v1/incidents/${id}`)).json;
    expect(timeline.filter((e: { type: string }) => e.type === 'StatusUpdateDue')).toEqual([]);
    await h.advanceTo(at('11:20'));
    const after = (await h.api('GET', `/api/v1/incidents/${id}`)).json.timeline;
    expect(
      after
        .filter((e: { type: string }) => e.type === 'StatusUpdateDue')
        .map((e: { at: string }) => e.at.slice(11, 16)),
    ).toEqual(['10:50', '11:20']);
    // By 10:50 the 30-minute resolution timeout has made tom (L2, SMS) the current responder.
    expect(h.providers.twilio.messages().filter((m) => m.To === TOM && /status update due/.test(m.Body))).toHaveLength(
      1,
    );
  });

  it('a runbook where P2 escalates twice [30m, 2h] and P3 never: the service starts and pages as the runbook says', async () => {
    const severities = `
severities:
  P1: { ackTimeout: 5m, escalateAfter: [30m, 1h, 2h], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 15m, escalateAfter: [30m, 2h], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
`;
    h = await startEscalation({ start: at('10:00'), config: testConfig({ severities }) });
    await h.alert({ alertname: 'SearchSlow', service: 'search', severity: 'error' });
    await h.alert({ alertname: 'TypoOnPricing', service: 'web', severity: 'warning' });
    const { incidents } = (await h.api('GET', '/api/v1/incidents')).json;
    for (const incident of incidents)
      await h.api('POST', `/api/v1/incidents/${incident.id}/acknowledge`, { by: 'alice' });
    await h.advanceTo('2026-11-24T10:00:00.000Z');
    const bySeverity = new Map<string, { timeline: Parameters<typeof escalations>[0]; paged: string[] }>();
    for (const { id } of incidents) {
      const { incident, timeline } = (await h.api('GET', `/api/v1/incidents/${id}`)).json;
      const paged = incident.pages
        .filter((p: { purpose: string }) => p.purpose === 'escalation')
        .map((p: { level: number; contact: string }) => `L${p.level} ${p.contact}`);
      bySeverity.set(incident.severity, { timeline, paged: [...new Set<string>(paged)] });
    }
    expect(escalations(bySeverity.get('P2')!.timeline)).toEqual(['10:30 L1->L2 timeout', '12:00 L2->L3 timeout']);
    expect(bySeverity.get('P2')!.paged).toEqual(['L1 alice', 'L2 tom', 'L3 erin']);
    expect(escalations(bySeverity.get('P3')!.timeline)).toEqual([]);
    expect(bySeverity.get('P3')!.paged).toEqual(['L1 alice']);
  });
});
