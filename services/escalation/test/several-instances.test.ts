import type { EventStore, SubscribeOptions } from '@klaxon/event-store';
import { openSqliteEventStore } from '@klaxon/event-store';
import { tempDir, VirtualClock } from '@klaxon/testing';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { INCIDENT_NUMBERS_STREAM, NumberClaims } from '../src/commands/number-claims.ts';
import {
  PUBLIC_URL,
  startEscalation,
  signedSmsReply,
  startProviders,
  type Harness,
} from './support/escalation-harness.ts';

const ALICE = '+15550100001';

/** A store whose subscription stops handing events on while the gate is closed: an instance's picture goes stale. */
function gatedStore(store: EventStore) {
  let gate = Promise.resolve();
  let open = () => {};
  const gated = new Proxy(store, {
    get(target, property) {
      if (property === 'subscribe')
        return (options: SubscribeOptions) =>
          target.subscribe({
            ...options,
            onEvents: async (events) => {
              await gate;
              return options.onEvents(events);
            },
          });
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    store: gated,
    close: () => void (gate = new Promise<void>((resolve) => (open = resolve))),
    open: () => open(),
  };
}

const held = async (h: Harness) => {
  const metric = await h.service.http.metrics.getSingleMetric('klaxon_pages_held')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
};

const smsTo = (h: Harness, to: string) => h.providers.twilio.messages().filter((m) => m.To === to);

async function smsReply(h: Harness, body: string) {
  const answer = await signedSmsReply(h, ALICE, body);
  await h.service.drained();
  return answer;
}

describe('several escalation instances page once and number once', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  /**
   * Two instances on one store and one bus (each its own consumer group, so both see every alert), with
   * ownership moved by hand as a rebalance would. Alice's SMS throttle lets three messages through at once:
   * the fourth incident's page waits in A's throttle for a minute.
   */
  async function twoInstancesWithAPageHeldAtA(
    options: {
      wrapA?: (store: EventStore) => EventStore;
      wrapB?: (store: EventStore) => EventStore;
      loggerB?: pino.Logger;
    } = {},
  ) {
    const dir = tempDir('klaxon-instances-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const owners = new Set(['a']);
    const a = await startEscalation({
      dir,
      providers,
      clock,
      consumerGroup: 'a',
      owns: () => owners.has('a'),
      wrapStore: options.wrapA,
    });
    const b = await startEscalation({
      dir,
      providers,
      clock,
      consumerGroup: 'b',
      owns: () => owners.has('b'),
      wrapStore: options.wrapB,
      logger: options.loggerB,
    });
    cleanup.push(
      () => dir.remove(),
      () => providers.close(),
      () => a.close(),
      () => b.close(),
    );
    for (let n = 1; n <= 4; n++) await a.alert({ alertname: `Down${n}`, severity: 'critical' });
    await vi.waitFor(() => expect(b.service.index.acting()).toHaveLength(4), { timeout: 5000, interval: 10 });
    expect(smsTo(a, ALICE)).toHaveLength(3);
    expect(await held(a)).toBeGreaterThan(0);
    return { a, b, owners, clock };
  }

  it('when the partition moves, the old owner drops the page its throttle held; the new owner sends it, once', async () => {
    const { a, b, owners, clock } = await twoInstancesWithAPageHeldAtA();

    owners.clear();
    owners.add('b');
    a.service.ownershipMoved();
    // Dropped at the moment ownership moved, not held for the throttle to let go later.
    expect(await held(a)).toBe(0);
    b.service.ownershipMoved();
    await b.service.drained();
    expect(smsTo(b, ALICE)).toHaveLength(4);

    // A's throttle would have let the page go a minute later: nothing goes out from A.
    clock.set('2026-11-23T10:02:00Z');
    await a.service.timers.runDue();
    await a.service.drained();
    expect(smsTo(a, ALICE)).toHaveLength(4);
    expect(new Set(smsTo(a, ALICE).map((m) => m.Body)).size).toBe(4);
  });

  it("a held page whose outcome another instance recorded meanwhile is not sent, even where this instance's picture is stale", async () => {
    let stale: ReturnType<typeof gatedStore> | undefined;
    const { a, b, owners, clock } = await twoInstancesWithAPageHeldAtA({
      wrapA: (store) => (stale = gatedStore(store)).store,
    });

    // The overlap of a rebalance: B holds the partition already, A has not heard yet and still sees the past.
    stale!.close();
    owners.add('b');
    b.service.ownershipMoved();
    await b.service.drained();
    expect(smsTo(b, ALICE)).toHaveLength(4);
    const fourth = b.service.index.acting().find((i) => i.state.title.startsWith('Down4'))!.state;
    expect(Object.values(fourth.pages).every((p) => p.outcome === 'delivered')).toBe(true);
    const seenByA = a.service.index.get(fourth.incidentId)!.state;
    expect(Object.values(seenByA.pages).some((p) => p.outcome === 'pending')).toBe(true);

    // A's throttle lets the page go: read again just before sending, its outcome is there, so it stays.
    clock.set('2026-11-23T10:02:00Z');
    await a.service.timers.runDue();
    await a.service.drained();
    stale!.open();
    expect(smsTo(a, ALICE)).toHaveLength(4);
  });

  it('a page the old owner sent and recorded is not sent again by a new owner whose picture is stale when the partition moves', async () => {
    let stale: ReturnType<typeof gatedStore> | undefined;
    const { a, b, owners, clock } = await twoInstancesWithAPageHeldAtA({
      wrapB: (store) => (stale = gatedStore(store)).store,
    });

    // B stops hearing of A's appends; A's throttle lets the held page go, and A records its outcome.
    stale!.close();
    clock.set('2026-11-23T10:02:00Z');
    await a.service.timers.runDue();
    await a.service.drained();
    expect(smsTo(a, ALICE)).toHaveLength(4);
    const fourth = a.service.index.acting().find((i) => i.state.title.startsWith('Down4'))!.state;
    expect(Object.values(fourth.pages).every((p) => p.outcome === 'delivered')).toBe(true);
    const seenByB = b.service.index.get(fourth.incidentId)!.state;
    expect(Object.values(seenByB.pages).some((p) => p.outcome === 'pending')).toBe(true);

    // The partition moves to B, which offers what its picture says is pending: read again before sending,
    // its outcome is there, so it stays.
    owners.clear();
    owners.add('b');
    a.service.ownershipMoved();
    b.service.ownershipMoved();
    await b.service.drained();
    stale!.open();
    expect(smsTo(b, ALICE)).toHaveLength(4);
  });

  it('a page that went out from both instances in the overlap of a rebalance: the refused second outcome is logged with the incident and page', async () => {
    // B's outcome waits to be written until A has sent the page and recorded its own.
    let letBRecord = () => {};
    const bMayRecord = new Promise<void>((resolve) => (letBRecord = resolve));
    const lines: string[] = [];
    const { a, b, owners, clock } = await twoInstancesWithAPageHeldAtA({
      wrapB: (store) =>
        new Proxy(store, {
          get(target, property) {
            if (property === 'append')
              return async (...args: Parameters<EventStore['append']>) => {
                if (args[1].some((e) => e.type === 'PageDelivered')) await bMayRecord;
                return target.append(...args);
              };
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
          },
        }),
      loggerB: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });

    owners.add('b');
    b.service.ownershipMoved();
    await vi.waitFor(() => expect(smsTo(a, ALICE)).toHaveLength(4), { timeout: 5000, interval: 10 });
    const fromB = a.providers.twilio.requests.at(-1)!;
    clock.set('2026-11-23T10:02:00Z');
    await a.service.timers.runDue();
    await a.service.drained();
    expect(smsTo(a, ALICE)).toHaveLength(5);
    letBRecord();
    await b.service.drained();

    const fourth = a.service.index.acting().find((i) => i.state.title.startsWith('Down4'))!.state;
    const sms = Object.values(fourth.pages).find((p) => p.channel === 'sms')!;
    const refused = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.msg === 'page outcome refused by the incident');
    // Its SMS and its email both went out from both.
    expect(refused.map((entry) => [entry.incidentId, entry.code])).toEqual([
      [fourth.incidentId, 'PageOutcomeRecorded'],
      [fourth.incidentId, 'PageOutcomeRecorded'],
    ]);
    expect(refused).toContainEqual(
      expect.objectContaining({
        incidentId: fourth.incidentId,
        pageId: sms.pageId,
        providerId: fromB.sid,
        code: 'PageOutcomeRecorded',
      }),
    );
  });

  it('two instances opening incidents side by side on one store never give one number twice', async () => {
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const a = await startEscalation({ providers, clock });
    // B has a bus of its own (other alerts) but A's store: incident numbers are all they share.
    const b = await startEscalation({ providers, clock, wrapStore: () => a.store });
    cleanup.push(
      () => providers.close(),
      () => a.close(),
      () => b.close(),
    );
    await Promise.all(
      [a, b].map(async (h, i) => {
        for (let n = 0; n < 15; n++) await h.alert({ alertname: `Instance${i}Alert${n}`, severity: 'warning' });
      }),
    );
    await vi.waitFor(() => expect(a.service.index.size()).toBe(30), { timeout: 5000, interval: 10 });
    const numbers = a.service.index.summaries().map((s) => s.number);
    expect(new Set(numbers).size).toBe(30);
  });

  it('a storm of openings claims its numbers in blocks: two claimers, a thousand numbers each, a few dozen appends', async () => {
    const dir = tempDir('klaxon-numbers-');
    const store = openSqliteEventStore(dir.file('events.db'));
    cleanup.push(
      () => dir.remove(),
      () => store.close(),
    );
    const claimers = [0, 1].map(() => new NumberClaims({ store, stream: INCIDENT_NUMBERS_STREAM, inUse: () => 0 }));
    const taken = await Promise.all(
      claimers.map(async (claims) => {
        const numbers: number[] = [];
        for (let i = 0; i < 1000; i++) numbers.push(await claims.take());
        return numbers;
      }),
    );
    const all = taken.flat();
    expect(new Set(all).size).toBe(2000);
    expect(Math.min(...all)).toBe(1);
    const claims = await store.readStream(INCIDENT_NUMBERS_STREAM);
    expect(claims.length).toBeLessThan(40);
  });

  it('an SMS reply whose number names two incidents (from before numbers were claimed) acts on neither and names both', async () => {
    const h = await startEscalation();
    cleanup.push(() => h.close());
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    const [original] = h.service.index.acting();
    // Old data: another incident with the same number #1, written as an instance numbering alone would have.
    const copy = 'aaaaaaaaaaaa-1';
    const events = await h.store.readStream(`incident-${original!.state.incidentId}`);
    await h.store.append(
      `incident-${copy}`,
      events.map((e) => ({
        type: e.type,
        data:
          e.type === 'IncidentOpened'
            ? { ...(e.data as object), incidentId: copy, groupKey: 'other', title: 'PaymentsDown is firing' }
            : e.data,
      })),
      'no_stream',
    );
    await vi.waitFor(() => expect(h.service.index.get(copy)).toBeDefined(), { timeout: 5000, interval: 10 });

    const answer = await smsReply(h, '1a');
    expect(answer).toContain('#1 names 2 incidents');
    expect(answer).toContain(`${PUBLIC_URL}/incidents/${original!.state.incidentId}`);
    expect(answer).toContain(`${PUBLIC_URL}/incidents/${copy}`);
    expect(h.service.index.get(copy)!.state.acknowledged).toBeFalsy();
    expect(h.service.index.get(original!.state.incidentId)!.state.acknowledged).toBeFalsy();
  });
});
