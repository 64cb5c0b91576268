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

/** Stream reads and appends, in the order the service made them. */
const recordingCalls = (calls: string[]) => ({
  wrapStore: (store: EventStore): EventStore => ({
    ...store,
    readStream: (streamId, from) => (calls.push(`read ${streamId}`), store.readStream(streamId, from)),
    append: (streamId, events, expected) => (
      calls.push(`append ${streamId} ${events.map((e) => e.type).join(' ')}`),
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

it("a new group's alert opens its incident without reading the incident's stream first, and pages L1 on the state just committed: there is nothing to read", async () => {
  const calls: string[] = [];
  h = await startEscalation(recordingCalls(calls));
  const [first] = diskFull(h.clock.now().toISOString(), 'firing');
  await h.bus.publish(ALERTS_TOPIC, sameRecords([first!]));
  await vi.waitFor(async () => expect(await processed()).toBe(1), { timeout: 10_000, interval: 10 });
  await h.service.drained();
  const [incident] = h.service.index.acting();
  const stream = incidentStream(incident!.state.incidentId);
  const ofIncident = calls.filter((c) => c.includes(stream));
  // The first call is the opening's append, at the expected revision of a stream that does not exist yet
  expect(ofIncident[0]).toMatch(new RegExp(`^append ${stream} IncidentOpened .*PageRequested`));
  // And the page goes out in the same turn, on that state: the stream is not read again before the provider
  // call (on PostgreSQL a round trip on every new incident's way to its first page)
  expect(ofIncident.filter((c) => c.startsWith('read '))).toEqual([]);
  expect(ofIncident.slice(1).length).toBeGreaterThan(0);
  expect(ofIncident.slice(1).every((c) => c === `append ${stream} PageDelivered`)).toBe(true);
  expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(1);
});

it('a group firing again after its incident settled: the settled stream is read, not guessed at, and the next incident takes the next number', async () => {
  const calls: string[] = [];
  h = await startEscalation(recordingCalls(calls));
  const at = h.clock.now().toISOString();
  const [firing] = diskFull(at, 'firing');
  const [resolved] = diskFull(at, 'resolved');
  await h.bus.publish(ALERTS_TOPIC, sameRecords([firing!]));
  await h.bus.publish(ALERTS_TOPIC, sameRecords([resolved!]));
  await vi.waitFor(async () => expect(await processed()).toBe(2), { timeout: 10_000, interval: 10 });
  await h.service.drained();
  // Given its first incident resolved by its source, and settled (nothing left to send)
  expect(h.service.index.acting()).toEqual([]);
  const [settled] = h.service.index.summaries();
  const settledStream = incidentStream(settled!.id);
  const before = calls.length;

  // When the group fires again, later
  h.clock.set('2026-11-23T10:30:00Z');
  const later = h.clock.now().toISOString();
  const again = { ...firing!, fingerprint: 'disk-again', startsAt: later, receivedAt: later };
  await h.bus.publish(ALERTS_TOPIC, sameRecords([again]));
  await vi.waitFor(async () => expect(await processed()).toBe(3), { timeout: 10_000, interval: 10 });
  await h.service.drained();

  // Then the settled incident's stream is read, and nothing is appended to it
  const after = calls.slice(before);
  expect(after.filter((c) => c.includes(settledStream))).toEqual([`read ${settledStream}`]);
  // And the next incident opens with the next number, and pages L1
  const [next] = h.service.index.acting();
  expect(next!.state.incidentId).not.toBe(settled!.id);
  expect(next!.state.number).toBe(settled!.number + 1);
  expect(after.filter((c) => c.startsWith('append') && c.includes('IncidentOpened'))).toHaveLength(1);
});
