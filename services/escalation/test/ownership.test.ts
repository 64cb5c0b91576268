import { tempDir, VirtualClock } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { startEscalation, startProviders } from './support/escalation-harness.ts';

it('after a rebalance the new owner fires the pending timer, the old one stays quiet, and it fires once even if both try', async () => {
  const dir = tempDir('klaxon-owner-');
  const providers = await startProviders();
  const clock = new VirtualClock('2026-11-23T10:00:00Z');
  // The Kafka group decides who holds the incident's partition; here the test moves it by hand.
  let owners = new Set(['a']);
  const a = await startEscalation({ dir, providers, clock, consumerGroup: 'a', owns: () => owners.has('a') });
  const b = await startEscalation({ dir, providers, clock, consumerGroup: 'b', owns: () => owners.has('b') });
  await a.alert({ alertname: 'OrdersDown', severity: 'critical' });
  const deadline = Date.now() + 5000;
  while (b.service.index.acting().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const pagedAtOpen = providers.twilio.requests.length;
  expect(pagedAtOpen).toBe(1);

  // Rebalance at 10:04: b now holds the partition. At 10:05 the ack timeout is due.
  owners = new Set(['b']);
  clock.set('2026-11-23T10:05:00Z');
  expect(a.service.timers.due(clock.now())).toEqual([]);
  expect(b.service.timers.due(clock.now()).map((d) => d.timer.kind)).toContain('escalation');
  await Promise.all([a.service.timers.runDue(), b.service.timers.runDue()]);
  await Promise.all([a.service.drained(), b.service.drained()]);
  expect(
    providers.twilio
      .messages()
      .slice(pagedAtOpen)
      .map((m) => m.To),
  ).toEqual(['+15550100003']);

  // Both believing they own it (the overlap of a rebalance) still escalates once: the store picks one append.
  owners = new Set(['a', 'b']);
  clock.set('2026-11-23T10:10:00Z');
  await Promise.all([a.service.timers.runDue(), b.service.timers.runDue()]);
  await Promise.all([a.service.drained(), b.service.drained()]);
  const events = await a.store.readAll({ limit: 1000 });
  expect(events.filter((e) => e.type === 'Escalated').map((e) => (e.data as { toLevel: number }).toLevel)).toEqual([
    2, 3,
  ]);
  await a.close();
  await b.close();
  await providers.close();
  dir.remove();
});
