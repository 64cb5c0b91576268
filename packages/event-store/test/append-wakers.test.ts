import { describe, expect, it } from 'vitest';
import { dropSchema, postgresAvailable, tempDir, TEST_DATABASE_URL, uniqueSchema } from '@klaxon/testing';
import { openPostgresEventStore, openSqliteEventStore, type EventStore } from '../src/index.ts';
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
    const people = wakers.wait('person-', 60_000);
    wakers.wake(categoriesOf(['incident-0a1b2c3d4e5f-1', 'incident-ffeeddccbbaa-3', 'klaxon-incident-numbers']));
    expect(await settledWithin(people, 20)).toBe(false);
    wakers.wake(categoriesOf(['person-alice']));
    expect(await settledWithin(people, 20)).toBe(true);
  });

  it('wake every subscription when the streams are not known, and one without a prefix on any append', async () => {
    const wakers = new AppendWakers();
    const schedules = wakers.wait('schedule-', 60_000);
    const all = wakers.wait(undefined, 60_000);
    wakers.wake(['incident-']);
    expect(await settledWithin(all, 20)).toBe(true);
    expect(await settledWithin(schedules, 20)).toBe(false);
    wakers.wake();
    expect(await settledWithin(schedules, 20)).toBe(true);
  });

  it('take a prefix narrower than a category, or one that is a whole stream id, as concerned', async () => {
    const wakers = new AppendWakers();
    const alice = wakers.wait('person-alice', 60_000);
    const silences = wakers.wait('silences', 60_000);
    wakers.wake(categoriesOf(['person-bob']));
    expect(await settledWithin(alice, 20)).toBe(true);
    wakers.wake(categoriesOf(['silences']));
    expect(await settledWithin(silences, 20)).toBe(true);
  });

  it('end the wait at the timeout when nothing concerns it', async () => {
    const wakers = new AppendWakers();
    expect(await settledWithin(wakers.wait('person-', 10), 500)).toBe(true);
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
        waitForAppend: (ms) => wakers.wait('person-', ms),
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
