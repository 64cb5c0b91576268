import { ALERTS_TOPIC, DEAD_LETTER_AFTER } from '@klaxon/bus';
import type { AlertReceived } from '@klaxon/domain';
import { EventStoreUnavailable, type EventStore } from '@klaxon/event-store';
import { openSqliteFile } from '@klaxon/sqlite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';

const firing = (alertname: string, at: string): AlertReceived => ({
  type: 'AlertReceived',
  version: 1,
  source: 'alertmanager',
  integration: 'alertmanager',
  fingerprint: `fp-${alertname}`,
  groupKey: `{}:{alertname="${alertname}"}`,
  status: 'firing',
  labels: { alertname, severity: 'critical' },
  annotations: { summary: `${alertname} is firing` },
  startsAt: at,
  receivedAt: at,
});

const counted = async (h: Harness) => {
  const metric = await h.service.http.metrics.getSingleMetric('klaxon_alerts_processed_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.result, v.value]));
};

const ready = async (h: Harness) => {
  const response = await fetch(`${h.base}/ready`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the report's checks, read as JSON
  return { status: response.status, body: (await response.json()) as any };
};

describe('a poison record cannot block the alerts behind it', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('an alert the store refuses every time is dead-lettered after a few tries, with why, counted once; the alerts beside and behind it open their incidents', async () => {
    h = await startEscalation();
    // The store refuses this one group's events for good, as PostgreSQL refuses a NUL in JSON.
    const db = openSqliteFile(h.dir.file('events.db'), { synchronous: 'FULL' });
    db.exec(
      `CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.data LIKE '%PoisonPill%' BEGIN SELECT RAISE(ABORT, 'unsupported Unicode escape sequence'); END`,
    );
    try {
      const at = h.clock.now().toISOString();
      // Published together, so that they are handled side by side and their appends share the store's
      // group commit, which the poison one fails for all of them.
      const alerts = ['PoisonPill', 'OrdersDown', 'PaymentsDown', 'SearchDown'].map((name) => firing(name, at));
      await h.bus.publish(
        ALERTS_TOPIC,
        alerts.map((a) => ({ key: a.groupKey, value: a })),
      );
      await vi.waitFor(() => expect(h.service.index.acting()).toHaveLength(3), { timeout: 10_000 });
      await vi.waitFor(async () => expect(await counted(h)).toEqual({ applied: 3, 'dead-lettered': 1 }));
      expect(h.service.index.acting().map((i) => i.state.title)).not.toContain('PoisonPill is firing');

      const { status, json } = await h.api('GET', '/api/v1/dead-letters?limit=10');
      expect(status).toBe(200);
      expect(json.deadLetters).toHaveLength(1);
      expect(json.deadLetters[0]).toMatchObject({
        reason: `handling failed ${DEAD_LETTER_AFTER} times the same way: unsupported Unicode escape sequence`,
        attempts: DEAD_LETTER_AFTER,
        from: { topic: ALERTS_TOPIC, partition: 0 },
        key: '{}:{alertname="PoisonPill"}',
        value: { labels: { alertname: 'PoisonPill' } },
      });
    } finally {
      db.close();
    }
  });

  it('a store that does not answer is an outage, not poison: the alert waits for it and opens once it is back', async () => {
    let down = true;
    const unreachable = (store: EventStore): EventStore => ({
      ...store,
      kind: store.kind,
      append: (...args) => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : store.append(...args)),
      ping: () => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : store.ping()),
    });
    h = await startEscalation({ wrapStore: unreachable });
    const at = h.clock.now().toISOString();
    await h.bus.publish(ALERTS_TOPIC, [{ key: firing('OrdersDown', at).groupKey, value: firing('OrdersDown', at) }]);
    await new Promise((r) => setTimeout(r, 1000));
    down = false;
    await vi.waitFor(() => expect(h.service.index.acting()).toHaveLength(1), { timeout: 10_000 });
    expect(await counted(h)).toEqual({ applied: 1 });
    expect((await h.api('GET', '/api/v1/dead-letters')).json.deadLetters).toEqual([]);
  });

  it('an append the store refused as unavailable is an outage even when the store answers a ping right after: never dead-lettered', async () => {
    let refused = 0;
    // A store that flaps: each append is refused as unreachable, yet every ping that follows finds it back.
    const flapping = (store: EventStore): EventStore => ({
      ...store,
      kind: store.kind,
      append: (...args) =>
        refused <= DEAD_LETTER_AFTER
          ? (refused++, Promise.reject(new EventStoreUnavailable('connection terminated unexpectedly')))
          : store.append(...args),
    });
    h = await startEscalation({ wrapStore: flapping });
    const at = h.clock.now().toISOString();
    await h.bus.publish(ALERTS_TOPIC, [{ key: firing('OrdersDown', at).groupKey, value: firing('OrdersDown', at) }]);
    await vi.waitFor(() => expect(h.service.index.acting()).toHaveLength(1), { timeout: 20_000 });
    expect(refused).toBe(DEAD_LETTER_AFTER + 1);
    expect(await counted(h)).toEqual({ applied: 1 });
    expect((await h.api('GET', '/api/v1/dead-letters')).json.deadLetters).toEqual([]);
  });

  it('/ready fails with the reason while the consumer is stuck on a record with alerts waiting, and passes again once it moves', async () => {
    let release!: () => void;
    let held = new Promise<void>((resolve) => (release = resolve));
    let entered = false;
    // An append that does not return until let go, as a store holding a lock would.
    const blocking = (store: EventStore): EventStore => ({
      ...store,
      kind: store.kind,
      append: async (...args) => {
        entered = true;
        await held;
        return store.append(...args);
      },
    });
    h = await startEscalation({ wrapStore: blocking, consumerStallMs: 300 });
    try {
      expect((await ready(h)).status).toBe(200);
      const at = h.clock.now().toISOString();
      await h.bus.publish(ALERTS_TOPIC, [{ key: firing('OrdersDown', at).groupKey, value: firing('OrdersDown', at) }]);
      await vi.waitFor(() => expect(entered).toBe(true));
      await vi.waitFor(
        async () => {
          const { status, body } = await ready(h);
          expect(status).toBe(503);
          expect(body.checks['taking alerts from the bus']).toEqual({
            ok: false,
            error: expect.stringMatching(
              /^the bus consumer has not got past a record for \d+ s with records waiting \(over 0.3 s\): its handling has not returned$/,
            ),
          });
        },
        { timeout: 10_000 },
      );
      release();
      held = Promise.resolve();
      await vi.waitFor(() => expect(h.service.index.acting()).toHaveLength(1), { timeout: 10_000 });
      await vi.waitFor(async () => expect((await ready(h)).status).toBe(200), { timeout: 10_000 });
    } finally {
      release();
    }
  });
});
