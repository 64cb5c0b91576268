import { ALERTS_TOPIC, deadLetterTopicOf, type DeliveredRecord } from '@klaxon/bus';
import { openSqliteFile } from '@klaxon/sqlite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

/** Makes the event store's own file refuse appends of some event types, as a failing disk or database would. */
function refuseAppends(h: Harness, types: string[]) {
  const db = openSqliteFile(h.dir.file('events.db'), { synchronous: 'FULL' });
  const list = types.map((t) => `'${t}'`).join(', ');
  db.exec(
    `CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.type IN (${list}) BEGIN SELECT RAISE(ABORT, 'store says no'); END`,
  );
  return {
    heal: () => db.exec('DROP TRIGGER IF EXISTS refuse'),
    close: () => db.close(),
  };
}

const smsPage = (h: Harness) =>
  Object.values(h.service.index.acting()[0]!.state.pages).find((p) => p.channel === 'sms');

describe('background work owns its failures', () => {
  let h: Harness;
  let refusal: ReturnType<typeof refuseAppends> | undefined;
  afterEach(async () => {
    refusal?.close();
    refusal = undefined;
    await h?.close();
  });

  it('a page outcome the store refuses leaves the process running; recording is retried, and the page is not sent twice', async () => {
    h = await startEscalation();
    refusal = refuseAppends(h, ['PageDelivered']);
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const alert = h.alert({ alertname: 'OrdersDown', severity: 'critical' });
      await vi.waitFor(() => expect(h.providers.twilio.messages()).toHaveLength(1), { timeout: 5000 });
      await new Promise((r) => setTimeout(r, 700));
      expect(smsPage(h)).toMatchObject({ outcome: 'pending' });
      refusal.heal();
      await alert;
      expect(smsPage(h)).toMatchObject({ outcome: 'delivered' });
      expect(h.providers.twilio.messages()).toHaveLength(1);
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('a timer the store refuses to fire backs off instead of spinning, and fires once the store takes it', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    refusal = refuseAppends(h, ['Escalated']);
    h.clock.set(new Date('2026-11-23T10:06:00Z').getTime());
    const runs = vi.spyOn(h.service.timers, 'runDue');
    h.service.timers.start();
    await new Promise((r) => setTimeout(r, 900));
    // Before the backoff the loop re-ran at 0 ms while the timer stayed due: hundreds of full scans.
    expect(runs.mock.calls.length).toBeLessThanOrEqual(3);
    expect(h.service.index.acting()[0]!.state.level).toBe(1);
    refusal.heal();
    h.clock.set(new Date('2026-11-23T10:07:00Z').getTime());
    await vi.waitFor(() => expect(h.service.index.acting()[0]!.state.level).toBe(2), { timeout: 5000 });
    await h.service.timers.stop();
  });

  it('stop() during a run: the run ends after the timer in hand, and the loop does not come back', async () => {
    h = await startEscalation({ start: '2026-11-23T10:00:00Z' });
    for (let i = 0; i < 12; i++) await h.alert({ alertname: `Down${i}`, severity: 'critical' });
    h.clock.set(new Date('2026-11-23T10:06:00Z').getTime());
    const runs = vi.spyOn(h.service.timers, 'runDue');
    const escalated = () => h.service.index.acting().filter((i) => i.state.level > 1).length;
    // SQLite answers synchronously, so a run never yields to a timer: stop is asked from inside the run,
    // the moment its first escalation lands.
    let stopped: Promise<void> | undefined;
    const changed = h.service.timers.changed.bind(h.service.timers);
    vi.spyOn(h.service.timers, 'changed').mockImplementation((incidentId) => {
      changed(incidentId);
      if (escalated() > 0) stopped ??= h.service.timers.stop();
    });
    h.service.timers.start();
    await vi.waitFor(() => expect(stopped).toBeDefined(), { timeout: 5000 });
    await stopped;
    const atStop = escalated();
    expect(atStop).toBeLessThan(12);
    await new Promise((r) => setTimeout(r, 1200));
    expect(runs).toHaveBeenCalledTimes(1);
    expect(escalated()).toBe(atStop);
  });
});

describe('records that are not alerts', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('a record that is not an AlertReceived goes to the dead-letter topic, is counted, and the alerts behind it are handled', async () => {
    h = await startEscalation();
    await h.bus.publish(ALERTS_TOPIC, [
      { key: 'junk', value: { type: 'AlertReceived', version: 1, status: 'sideways' } },
    ]);
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    await vi.waitFor(() => expect(h.service.index.acting()).toHaveLength(1));
    const counted = await h.service.http.metrics.getSingleMetric('klaxon_alerts_processed_total')?.get();
    expect(Object.fromEntries(counted!.values.map((v) => [v.labels.result, v.value]))).toEqual({
      'dead-lettered': 1,
      applied: 1,
    });
    const letters: DeliveredRecord[] = [];
    const reader = await h.bus.consume({
      topic: deadLetterTopicOf(ALERTS_TOPIC),
      group: 'reader',
      handle: async (r) => void letters.push(r),
    });
    await vi.waitFor(() => expect(letters).toHaveLength(1));
    await reader.stop();
    expect(letters[0]!.headers['klaxon-dead-letter-reason']).toMatch(
      /^not an AlertReceived or AlertsReceived: source: /,
    );
    expect(letters[0]!.value).toEqual({ type: 'AlertReceived', version: 1, status: 'sideways' });
  });
});
