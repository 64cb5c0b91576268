import { describe, expect, it } from 'vitest';
import { cutOffDatabase, freshDatabase, postgresAvailable } from '@klaxon/testing';
import { EventStoreUnavailable, openPostgresEventStore, type RecordedEvent } from '../src/index.ts';

const available = await postgresAvailable('PostgreSQL outage suite');

const until = async (what: string, done: () => boolean, timeoutMs = 30_000) => {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const event = (n: number) => ({ type: 'Happened', data: { n } });

describe.runIf(available)('PostgreSQL unreachable, then back', () => {
  it('appends during the outage settle, refused as unavailable; the subscription retries with backoff and resumes by itself', async () => {
    const database = await freshDatabase();
    const store = await openPostgresEventStore({ connectionString: database.url, pollMs: 50 });
    const seen: RecordedEvent[] = [];
    const retries: number[] = [];
    let lost: unknown;
    const subscription = store.subscribe({
      onEvents: (batch) => void seen.push(...batch),
      onInterrupted: (_error, retryInMs) => retries.push(retryInMs),
      onError: (error) => (lost = error),
    });
    try {
      expect((await store.append('before', [event(1)], 'no_stream')).ok).toBe(true);
      await until('the first event', () => seen.length === 1);

      const outage = await cutOffDatabase(database.url);
      try {
        const refused = await Promise.allSettled(
          Array.from({ length: 5 }, (_, i) => store.append(`during-${i}`, [event(10 + i)], 'no_stream')),
        );
        expect(refused.map((r) => r.status)).toEqual(Array(5).fill('rejected'));
        for (const r of refused) {
          expect((r as PromiseRejectedResult).reason).toBeInstanceOf(EventStoreUnavailable);
          expect((r as PromiseRejectedResult).reason).toMatchObject({ retryable: true });
        }
        await until('three failed reads', () => retries.length >= 3);
        expect(retries.slice(0, 3)).toEqual([500, 1000, 2000]);
      } finally {
        await outage.restore();
      }

      expect((await store.append('after', [event(2)], 'no_stream')).ok).toBe(true);
      await until('the event appended after the outage', () => seen.length === 2);
      expect(seen.map((x) => x.data)).toEqual([{ n: 1 }, { n: 2 }]);
      expect(await store.readStream('during-0')).toEqual([]);
      expect(lost).toBeUndefined();
    } finally {
      await subscription.stop();
      await store.close();
      await database.drop();
    }
  }, 60_000);
});
