import { ALERTS_TOPIC } from '@klaxon/bus';
import { incidentStream } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import { afterEach, expect, it, vi } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const ALICE = '+15550100001';
let h: Harness | undefined;
afterEach(async () => h?.close());

const sameRecords = (alerts: Array<{ groupKey: string }>) => alerts.map((value) => ({ key: value.groupKey, value }));
// One AlertsReceived record, as ingest writes an Alertmanager notification.
const oneRecord = (alerts: Array<Record<string, unknown>>) => {
  const { version, source, integration, groupKey, receivedAt } = alerts[0]!;
  const each = alerts.map(({ fingerprint, status, labels, annotations, startsAt }) => ({
    fingerprint,
    status,
    labels,
    annotations,
    startsAt,
  }));
  return [
    {
      key: groupKey as string,
      value: { type: 'AlertsReceived', version, source, integration, groupKey, receivedAt, alerts: each },
    },
  ];
};

const diskFull = (at: string, status: 'firing' | 'resolved') =>
  Array.from({ length: 50 }, (_, i) => ({
    type: 'AlertReceived',
    version: 1,
    source: 'alertmanager',
    integration: 'alertmanager',
    fingerprint: `disk-${i}`,
    groupKey: '{}:{alertname="DiskFull"}',
    status,
    labels: { alertname: 'DiskFull', severity: 'critical', instance: `host-${i}` },
    annotations: {},
    startsAt: at,
    receivedAt: at,
  }));
const processed = async () =>
  (await h!.service.http.metrics.getSingleMetric('klaxon_alerts_processed_total')?.get())?.values.reduce(
    (n, v) => n + v.value,
    0,
  ) ?? 0;
const recordingAppends = (appends: string[][]) => ({
  wrapStore: (store: EventStore): EventStore => ({
    ...store,
    append: (streamId, events, expected) => (
      appends.push(events.map((e) => e.type)),
      store.append(streamId, events, expected)
    ),
  }),
});

it.each([
  ['fifty records of one group in one batch', sameRecords],
  ['one record of fifty alerts', oneRecord],
])(
  '%s: the first alert opens the incident, the other forty-nine join it in one event, L1 is paged once, and the same delivered again changes nothing',
  async (_name, recordsOf) => {
    const appends: string[][] = [];
    h = await startEscalation(recordingAppends(appends));
    const alerts = diskFull(h.clock.now().toISOString(), 'firing');

    await h.bus.publish(ALERTS_TOPIC, recordsOf(alerts));
    await vi.waitFor(async () => expect(await processed()).toBe(50), { timeout: 10_000, interval: 10 });
    await h.service.drained();
    const [incident, ...others] = h.service.index.acting();
    expect(others).toEqual([]);
    expect(incident!.state.alerts.size).toBe(50);
    expect(appends.filter((types) => types.includes('IncidentOpened'))).toHaveLength(1);
    expect(appends.filter((types) => types.includes('AlertsAttached'))).toEqual([['AlertsAttached']]);
    const joined = (await h.store.readStream(incidentStream(incident!.state.incidentId))).find(
      (e) => e.type === 'AlertsAttached',
    );
    expect((joined!.data as { alerts: Array<{ fingerprint: string }> }).alerts.map((a) => a.fingerprint)).toEqual(
      alerts.slice(1).map((a) => a.fingerprint),
    );
    expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(1);

    const before = appends.length;
    await h.bus.publish(ALERTS_TOPIC, recordsOf(alerts));
    await vi.waitFor(async () => expect(await processed()).toBe(100), { timeout: 10_000, interval: 10 });
    await h.service.drained();
    expect(
      appends.slice(before).filter((types) => types.some((t) => t.startsWith('Alert') || t === 'IncidentOpened')),
    ).toEqual([]);
    expect(h.service.index.acting()).toHaveLength(1);
  },
);

it('one resolved notification of fifty alerts resolves their incident in one append, and tells L1 once', async () => {
  const appends: string[][] = [];
  h = await startEscalation(recordingAppends(appends));
  const at = h.clock.now().toISOString();
  await h.bus.publish(ALERTS_TOPIC, oneRecord(diskFull(at, 'firing')));
  await vi.waitFor(async () => expect(await processed()).toBe(50), { timeout: 10_000, interval: 10 });
  await h.service.drained();
  const toAlice = h.providers.twilio.messages().filter((m) => m.To === ALICE).length;
  const before = appends.length;

  await h.bus.publish(ALERTS_TOPIC, oneRecord(diskFull(at, 'resolved')));
  await vi.waitFor(async () => expect(await processed()).toBe(100), { timeout: 10_000, interval: 10 });
  await h.service.drained();
  expect(appends.slice(before).filter((types) => types.includes('Resolved'))).toEqual([
    ['AlertsAttached', 'Resolved', 'PageRequested', 'PageRequested'],
  ]);
  expect(h.service.index.acting()).toEqual([]);
  expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(toAlice + 1);
});

it("a new group's alert opens its incident without reading the incident's stream first: there is nothing to read", async () => {
  // Reads and appends of the store, in the order the service made them.
  const calls: string[] = [];
  h = await startEscalation({
    wrapStore: (store: EventStore): EventStore => ({
      ...store,
      readStream: (streamId, from) => (calls.push(`read ${streamId}`), store.readStream(streamId, from)),
      append: (streamId, events, expected) => (
        calls.push(`append ${streamId} ${events.map((e) => e.type).join(' ')}`),
        store.append(streamId, events, expected)
      ),
    }),
  });
  const [first] = diskFull(h.clock.now().toISOString(), 'firing');
  await h.bus.publish(ALERTS_TOPIC, sameRecords([first!]));
  await vi.waitFor(async () => expect(await processed()).toBe(1), { timeout: 10_000, interval: 10 });
  await h.service.drained();
  const [incident] = h.service.index.acting();
  const stream = incidentStream(incident!.state.incidentId);
  const ofIncident = calls.filter((c) => c.includes(stream));
  // The first call is the opening's append, at the expected revision of a stream that does not exist yet
  expect(ofIncident[0]).toMatch(new RegExp(`^append ${stream} IncidentOpened .*PageRequested`));
  expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(1);
});
