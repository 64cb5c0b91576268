import { ALERTS_TOPIC } from '@klaxon/bus';
import { afterEach, expect, it, vi } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const ALICE = '+15550100001';
let h: Harness | undefined;
afterEach(async () => h?.close());

it('fifty alerts of one group in one batch: the first opens the incident, the other forty-nine join it in one append, L1 is paged once, and the same batch delivered again changes nothing', async () => {
  const appends: string[][] = [];
  h = await startEscalation({
    wrapStore: (store) => ({ ...store, append: (streamId, events, expected) => (appends.push(events.map((e) => e.type)), store.append(streamId, events, expected)) }),
  });
  const at = h.clock.now().toISOString();
  const alerts = Array.from({ length: 50 }, (_, i) => ({
    type: 'AlertReceived',
    version: 1,
    source: 'alertmanager',
    integration: 'alertmanager',
    fingerprint: `disk-${i}`,
    groupKey: '{}:{alertname="DiskFull"}',
    status: 'firing',
    labels: { alertname: 'DiskFull', severity: 'critical', instance: `host-${i}` },
    annotations: {},
    startsAt: at,
    receivedAt: at,
  }));
  const processed = async () => (await h!.service.http.metrics.getSingleMetric('klaxon_alerts_processed_total')?.get())?.values.reduce((n, v) => n + v.value, 0) ?? 0;

  await h.bus.publish(ALERTS_TOPIC, alerts.map((value) => ({ key: value.groupKey, value })));
  await vi.waitFor(async () => expect(await processed()).toBe(50), { timeout: 10_000, interval: 10 });
  await h.service.settle();
  const [incident, ...others] = h.service.index.acting();
  expect(others).toEqual([]);
  expect(incident!.state.alerts.size).toBe(50);
  expect(appends.filter((types) => types.includes('IncidentOpened'))).toHaveLength(1);
  expect(appends.filter((types) => types[0] === 'AlertAttached')).toEqual([Array(49).fill('AlertAttached')]);
  expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(1);

  const before = appends.length;
  await h.bus.publish(ALERTS_TOPIC, alerts.map((value) => ({ key: value.groupKey, value })));
  await vi.waitFor(async () => expect(await processed()).toBe(100), { timeout: 10_000, interval: 10 });
  await h.service.settle();
  expect(appends.slice(before).filter((types) => types.includes('AlertAttached') || types.includes('IncidentOpened'))).toEqual([]);
  expect(h.service.index.acting()).toHaveLength(1);
});
