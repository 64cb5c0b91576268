import { describe, expect, it } from 'vitest';
import { dropSchema, postgresAvailable, tempDir, TEST_DATABASE_URL, uniqueSchema } from '@klaxon/testing';
import {
  openPostgresEventStore,
  openSqliteEventStore,
  type EventStore,
  type ReadAllOptions,
  type RecordedEvent,
} from '../src/index.ts';
import {
  AppendWakers,
  categoriesOf,
  categoriesOfPayload,
  NOTICE_MAX_BYTES,
  noticePayload,
} from '../src/append-wakers.ts';
import { pollingSubscription } from '../src/polling-subscription.ts';

const settledWithin = async (promise: Promise<void>, ms: number) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe('append wakers', () => {
  it('wake a subscription for the streams its prefix takes, and no other', async () => {
    const wakers = new AppendWakers();
    const people = wakers.watch('person-').wait(60_000);
    wakers.wake(categoriesOf(['incident-0a1b2c3d4e5f-1', 'incident-ffeeddccbbaa-3', 'klaxon-incident-numbers']));
    expect(await settledWithin(people, 20)).toBe(false);
    wakers.wake(categoriesOf(['person-alice']));
    expect(await settledWithin(people, 20)).toBe(true);
  });

  it('wake every subscription when the streams are not known, and one without a prefix on any append', async () => {
    const wakers = new AppendWakers();
    const schedules = wakers.watch('schedule-').wait(60_000);
    const all = wakers.watch(undefined).wait(60_000);
    wakers.wake(['incident-']);
    expect(await settledWithin(all, 20)).toBe(true);
    expect(await settledWithin(schedules, 20)).toBe(false);
    wakers.wake();
    expect(await settledWithin(schedules, 20)).toBe(true);
  });

  it('take a prefix narrower than a category, or one that is a whole stream id, as concerned', async () => {
    const wakers = new AppendWakers();
    const alice = wakers.watch('person-alice').wait(60_000);
    const silences = wakers.watch('silences').wait(60_000);
    wakers.wake(categoriesOf(['person-bob']));
    expect(await settledWithin(alice, 20)).toBe(true);
    wakers.wake(categoriesOf(['silences']));
    expect(await settledWithin(silences, 20)).toBe(true);
  });

  it('end the wait at the timeout when nothing concerns it', async () => {
    const wakers = new AppendWakers();
    expect(await settledWithin(wakers.watch('person-').wait(10), 500)).toBe(true);
  });

  it('carry the categories in a notification, or none (wake all) when they would not fit', () => {
    expect(categoriesOfPayload(noticePayload(['incident-', 'person-']))).toEqual(['incident-', 'person-']);
    const many = Array.from({ length: 1_000 }, (_, i) => `stream${i}`);
    expect(Buffer.byteLength(many.join('\n'))).toBeGreaterThan(NOTICE_MAX_BYTES);
    expect(categoriesOfPayload(noticePayload(many))).toBeUndefined();
  });

  it('keep a polling subscription to people from reading the store at every incident append', async () => {
    const wakers = new AppendWakers();
    let reads = 0;
    const sub = pollingSubscription(
      {
        readAll: async () => {
          reads++;
          return [];
        },
        headPosition: async () => undefined,
        watchAppends: () => wakers.watch('person-'),
      },
      { streamPrefix: 'person-', onEvents: () => undefined },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 20));
    const before = reads;
    for (let i = 0; i < 50; i++) {
      wakers.wake(categoriesOf([`incident-${i}`]));
      await new Promise((r) => setImmediate(r));
    }
    expect(reads).toBe(before);
    wakers.wake(categoriesOf(['person-alice']));
    await new Promise((r) => setTimeout(r, 20));
    expect(reads).toBe(before + 1);
    await sub.stop();
  });

  it('keep, for a watch taken before a read, an append announced while the read ran: its wait ends at once', async () => {
    const wakers = new AppendWakers();
    const watch = wakers.watch('person-');
    wakers.wake(categoriesOf(['person-alice']));
    expect(await settledWithin(watch.wait(60_000), 20)).toBe(true);
    const unconcerned = wakers.watch('person-');
    wakers.wake(categoriesOf(['incident-1']));
    expect(await settledWithin(unconcerned.wait(60_000), 20)).toBe(false);
    unconcerned.cancel();
  });
});

/** A source of `events` by position, read through `pollingSubscription`; `during` runs inside each read. */
function listSource(wakers: AppendWakers, during: (read: number) => void = () => undefined) {
  const events: RecordedEvent[] = [];
  let reads = 0;
  const source = {
    events,
    reads: () => reads,
    append(streamId: string) {
      events.push({ position: BigInt(events.length + 1), streamId } as RecordedEvent);
      wakers.wake(categoriesOf([streamId]));
    },
    readAll: ({ after, limit, streamPrefix }: ReadAllOptions) => {
      const found = events
        .filter((e) => e.position > (after ?? 0n) && e.streamId.startsWith(streamPrefix ?? ''))
        .slice(0, limit);
      during(++reads);
      return Promise.resolve(found);
    },
    headPosition: () => Promise.resolve(events.at(-1)?.position),
    watchAppends: () => wakers.watch('person-'),
  };
  return source;
}

describe('a polling subscription', () => {
  it('takes an event appended while it was reading at once, not at its next poll', async () => {
    const wakers = new AppendWakers();
    // The first read's answer is taken before the append it makes: only its notice can bring it in time.
    const source = listSource(wakers, (read) => read === 1 && source.append('person-alice'));
    const seen: string[] = [];
    const sub = pollingSubscription(
      source,
      { streamPrefix: 'person-', onEvents: (batch) => void seen.push(...batch.map((e) => e.streamId)) },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['person-alice']);
    await sub.stop();
  });

  it('reads once per append when it keeps up, not a second time to find nothing', async () => {
    const wakers = new AppendWakers();
    const source = listSource(wakers);
    const sub = pollingSubscription(source, { streamPrefix: 'person-', onEvents: () => undefined }, 60_000);
    await new Promise((r) => setTimeout(r, 20));
    const before = source.reads();
    for (let i = 0; i < 5; i++) {
      source.append(`person-${i}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(source.reads()).toBe(before + 5);
    await sub.stop();
  });

  it('is caught up at once when the store ends with events of other streams', async () => {
    const wakers = new AppendWakers();
    const source = listSource(wakers);
    source.append('person-alice');
    source.append('incident-1');
    const sub = pollingSubscription(source, { streamPrefix: 'person-', onEvents: () => undefined }, 60_000);
    expect(await settledWithin(sub.caughtUp(), 200)).toBe(true);
    expect(sub.position).toBe(2n);
    await sub.stop();
  });

  it('catches up at once when asked after other streams were appended to since its last read', async () => {
    const wakers = new AppendWakers();
    const source = listSource(wakers);
    source.append('person-alice');
    const sub = pollingSubscription(source, { streamPrefix: 'person-', onEvents: () => undefined }, 60_000);
    await sub.caughtUp();
    // Announced to incident followers only: this subscription's wait goes on.
    source.append('incident-1');
    source.append('incident-2');
    expect(await settledWithin(sub.caughtUp(), 200)).toBe(true);
    expect(sub.position).toBe(3n);
    await sub.stop();
  });
});

/** A subscription waits a poll interval of 30 s: only the append's own notice can bring its event in time. */
async function wokenByItsAppend(store: EventStore) {
  const seen: string[] = [];
  const sub = store.subscribe({
    streamPrefix: 'person-',
    onEvents: (batch) => void seen.push(...batch.map((e) => e.streamId)),
  });
  await new Promise((r) => setTimeout(r, 200));
  await store.append('incident-0a1b2c3d4e5f-1', [{ type: 'Happened', data: {} }], 'any');
  await store.append('person-alice', [{ type: 'Happened', data: {} }], 'any');
  const deadline = Date.now() + 5_000;
  while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await sub.stop();
  return seen;
}

const postgres = await postgresAvailable('PostgreSQL append notices');

describe('a prefix subscription is woken by an append to its streams, not at its next poll', () => {
  it('SQLite', async () => {
    const dir = tempDir('klaxon-es-wake-');
    const store = openSqliteEventStore(dir.file('events.db'), { pollMs: 30_000 });
    try {
      expect(await wokenByItsAppend(store)).toEqual(['person-alice']);
    } finally {
      await store.close();
      dir.remove();
    }
  });

  it.runIf(postgres)('PostgreSQL (the notification carries the categories)', async () => {
    const schema = uniqueSchema('klaxon_es_wake');
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, pollMs: 30_000 });
    try {
      expect(await wokenByItsAppend(store)).toEqual(['person-alice']);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
