import { ALERTS_TOPIC, deadLetterTopicOf, type DeliveredRecord } from '@klaxon/bus';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const ALICE = '+15550100001';
let h: Harness;
afterEach(async () => h?.close());

const counted = async () =>
  Object.fromEntries(
    ((await h.service.http.metrics.getSingleMetric('klaxon_alerts_processed_total')?.get())?.values ?? []).map((v) => [
      v.labels.result,
      v.value,
    ]),
  );

describe('a notification with one alert escalation cannot handle', () => {
  it('moves that alert alone to the dead-letter topic: its critical sibling opens its incident and pages L1', async () => {
    h = await startEscalation();
    const at = h.clock.now().toISOString();
    const alert = (fingerprint: string, startsAt: string) => ({
      fingerprint,
      status: 'firing',
      labels: { alertname: 'CheckoutDown', severity: 'critical', instance: fingerprint },
      annotations: { summary: 'Checkout returns 500' },
      startsAt,
    });
    await h.bus.publish(ALERTS_TOPIC, [
      {
        key: '{}:{alertname="CheckoutDown"}',
        value: {
          type: 'AlertsReceived',
          version: 1,
          source: 'alertmanager',
          integration: 'alertmanager',
          groupKey: '{}:{alertname="CheckoutDown"}',
          receivedAt: at,
          // What an older ingest let through: 9999-12-31T23:59:59-12:00 once in UTC.
          alerts: [alert('bad', '+010000-01-01T11:59:59.000Z'), alert('good', at)],
        },
      },
    ]);
    await vi.waitFor(async () => expect(await counted()).toEqual({ 'dead-lettered': 1, applied: 1 }), {
      timeout: 10_000,
    });
    await h.service.drained();
    const [incident, ...others] = h.service.index.acting();
    expect(others).toEqual([]);
    expect([...incident!.state.alerts.keys()]).toEqual(['good']);
    expect(incident!.state.severity).toBe('P1');
    expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(1);

    const letters: DeliveredRecord[] = [];
    const reader = await h.bus.consume({
      topic: deadLetterTopicOf(ALERTS_TOPIC),
      group: 'reader',
      handle: async (r) => void letters.push(r),
    });
    await vi.waitFor(() => expect(letters).toHaveLength(1));
    await reader.stop();
    expect(letters[0]!.value).toMatchObject({ type: 'AlertsReceived', alerts: [{ fingerprint: 'bad' }] });
    expect(letters[0]!.headers).toMatchObject({
      'klaxon-dead-letter-reason': expect.stringContaining('alerts.0.startsAt'),
      'klaxon-original-alert-index': '0',
    });
  });
});

describe('an alert whose start lies in the future', () => {
  it('does not silence its group: once the incident is resolved, the next firing opens the next incident and pages', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    const labels = { alertname: 'PaymentsDown', severity: 'critical' };
    await h.alert(labels, { startsAt: '9999-12-31T23:59:59.000Z' });
    const first = (await h.api('GET', '/api/v1/incidents')).json.incidents[0];
    expect((await h.api('POST', `/api/v1/incidents/${first.id}/resolve`, { by: 'alice' })).status).toBe(200);
    const paged = h.providers.twilio.messages().filter((m) => m.To === ALICE && m.Body.includes('L1')).length;

    h.clock.set(new Date('2026-11-23T11:00:00Z').getTime());
    await h.alert(labels, { startsAt: '9999-12-31T23:59:59.000Z' });
    const open = (await h.api('GET', '/api/v1/incidents?status=open')).json.incidents;
    expect(open).toEqual([expect.objectContaining({ number: 2, severity: 'P1' })]);
    expect(h.providers.twilio.messages().filter((m) => m.To === ALICE && m.Body.includes('L1')).length).toBe(paged + 1);
  });

  it('is still known when delivered again: the same record after the incident resolved opens nothing', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    const labels = { alertname: 'PaymentsDown', severity: 'critical' };
    await h.alert(labels, { startsAt: '9999-12-31T23:59:59.000Z' });
    const first = (await h.api('GET', '/api/v1/incidents')).json.incidents[0];
    await h.api('POST', `/api/v1/incidents/${first.id}/resolve`, { by: 'alice' });
    // The same record again: received at the same instant, as a redelivery after a crash is.
    h.clock.set(new Date('2026-11-23T10:00:00Z').getTime());
    await h.alert(labels, { startsAt: '9999-12-31T23:59:59.000Z' });
    expect((await h.api('GET', '/api/v1/incidents?status=open')).json.incidents).toEqual([]);
  });
});
