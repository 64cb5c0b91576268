import { ALERTS_TOPIC, openEmbeddedBus } from '@klaxon/bus';
import { incidentEventSchema } from '@klaxon/domain';
import { tempDir, VirtualClock } from '@klaxon/testing';
import { expect, it, vi } from 'vitest';
import { startEscalation, startProviders } from './support/escalation-harness.ts';

/** Two instances on one store and one log, in separate consumer groups: both receive every alert, the worst case for a race. */
async function twoInstances() {
  const dir = tempDir('klaxon-race-');
  const providers = await startProviders();
  const clock = new VirtualClock('2026-11-23T10:00:00Z');
  const a = await startEscalation({ dir, providers, clock, consumerGroup: 'a' });
  const b = await startEscalation({ dir, providers, clock, consumerGroup: 'b' });
  const bus = openEmbeddedBus(dir.file('bus.db'));
  const close = async () => {
    await bus.close();
    await a.close();
    await b.close();
    await providers.close();
    dir.remove();
  };
  return { a, b, bus, clock, close };
}

it('two instances on one store, taking the same alert and firing the same timer at once, open one incident and escalate once', async () => {
  const { a, b, bus, clock, close } = await twoInstances();
  const at = clock.now().toISOString();
  for (let i = 0; i < 20; i++) {
    const alert = {
      type: 'AlertReceived',
      version: 1,
      source: 'alertmanager',
      integration: 'alertmanager',
      fingerprint: `f${i}`,
      groupKey: `group-${i % 4}`,
      status: 'firing',
      labels: { alertname: `A${i % 4}`, severity: 'critical' },
      annotations: {},
      startsAt: at,
      receivedAt: at,
    };
    await bus.publish(ALERTS_TOPIC, [{ key: alert.groupKey, value: alert }]);
  }
  const deadline = Date.now() + 15_000;
  while (
    (a.service.index.acting().length < 4 ||
      Object.values(a.service.index.acting()).some((i) => i.state.alerts.size < 5)) &&
    Date.now() < deadline
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  clock.set('2026-11-23T10:05:00Z');
  await Promise.all([a.service.timers.runDue(), b.service.timers.runDue()]);
  await Promise.all([a.service.drained(), b.service.drained()]);

  const all = (await a.store.readAll({ limit: 10_000, streamPrefix: 'incident-' })).map((r) =>
    incidentEventSchema.parse({ type: r.type, data: r.data }),
  );
  expect(all.filter((e) => e.type === 'IncidentOpened')).toHaveLength(4);
  // Records of one group that the consumer finds side by side are attached as one run (AlertsAttached).
  const attached = all.flatMap((e) =>
    e.type === 'AlertAttached'
      ? [e.data.fingerprint]
      : e.type === 'AlertsAttached'
        ? e.data.alerts.map((x) => x.fingerprint)
        : [],
  );
  expect(attached).toHaveLength(20);
  expect(new Set(attached).size).toBe(20);
  expect(all.filter((e) => e.type === 'Escalated')).toHaveLength(4);
  expect(all.filter((e) => e.type === 'PageRequested' && e.data.level === 2)).toHaveLength(4);
  await close();
});

it('two instances taking the same notifications (one record of 25 alerts per group) open one incident per group and attach each alert once', async () => {
  const { a, b, bus, clock, close } = await twoInstances();
  const at = clock.now().toISOString();
  const notification = (g: number) => ({
    type: 'AlertsReceived',
    version: 1,
    source: 'alertmanager',
    integration: 'alertmanager',
    groupKey: `group-${g}`,
    receivedAt: at,
    alerts: Array.from({ length: 25 }, (_, i) => ({
      fingerprint: `g${g}-f${i}`,
      status: 'firing',
      labels: { alertname: `A${g}`, severity: 'critical', instance: `h${i}` },
      annotations: {},
      startsAt: at,
    })),
  });
  // Each group's notification twice, as Alertmanager repeats it: both instances see all eight records.
  for (const g of [0, 1, 2, 3, 0, 1, 2, 3])
    await bus.publish(ALERTS_TOPIC, [{ key: `group-${g}`, value: notification(g) }]);
  await vi.waitFor(
    () =>
      expect(
        [a, b].every(
          (h) =>
            h.service.index.acting().length === 4 && h.service.index.acting().every((i) => i.state.alerts.size === 25),
        ),
      ).toBe(true),
    { timeout: 15_000, interval: 20 },
  );
  await Promise.all([a.service.drained(), b.service.drained()]);

  const all = (await a.store.readAll({ limit: 10_000, streamPrefix: 'incident-' })).map((r) =>
    incidentEventSchema.parse({ type: r.type, data: r.data }),
  );
  expect(all.filter((e) => e.type === 'IncidentOpened')).toHaveLength(4);
  const attached = all.flatMap((e) =>
    e.type === 'AlertAttached'
      ? [e.data.fingerprint]
      : e.type === 'AlertsAttached'
        ? e.data.alerts.map((x) => x.fingerprint)
        : [],
  );
  expect(attached).toHaveLength(100);
  expect(new Set(attached).size).toBe(100);
  await close();
});

it('an alert for an open incident is decided on the state in memory: its stream is not read again, however long it is', async () => {
  const h = await startEscalation();
  try {
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' }, { fingerprint: 'fp-0' });
    const reads = vi.spyOn(h.store, 'readStream');
    for (let i = 1; i <= 20; i++)
      await h.alert({ alertname: 'OrdersDown', severity: 'critical' }, { fingerprint: `fp-${i}` });
    expect(reads).not.toHaveBeenCalled();
    expect(h.service.index.acting()[0]!.state.alerts.size).toBe(21);
  } finally {
    await h.close();
  }
});
