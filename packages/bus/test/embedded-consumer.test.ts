import { describe, expect, it } from 'vitest';
import type { DeliveredRecord } from '../src/index.ts';
import { consumeEmbedded, type EmbeddedLog, type LogRow } from '../src/embedded-consumer.ts';

/** The log's file as the consumer sees it, in memory, counting the consumer's reads. */
function countingLog() {
  const rows: LogRow[] = [];
  let heard = 0;
  const sleepers = new Set<() => void>();
  const log: EmbeddedLog & { reads: number } = {
    reads: 0,
    committed: () => undefined,
    read(_topic, after, limit) {
      log.reads++;
      return rows.filter((r) => r.offset > after).slice(0, limit);
    },
    commit: () => undefined,
    deadLetter: () => undefined,
    toDelivered: (r): DeliveredRecord => ({
      topic: r.topic,
      partition: 0,
      offset: String(r.offset),
      key: r.key,
      value: r.value,
      headers: {},
      publishedAt: r.published_at,
    }),
    published: (ms, signal) =>
      new Promise<boolean>((resolve) => {
        const wake = (timedOut: boolean) => {
          clearTimeout(timer);
          sleepers.delete(woken);
          resolve(timedOut);
        };
        const woken = () => wake(false);
        const timer = setTimeout(() => wake(true), ms);
        sleepers.add(woken);
        signal.addEventListener('abort', woken, { once: true });
      }),
    publishes: () => heard,
  };
  const write = (keys: string[]) => {
    for (const key of keys)
      rows.push({ offset: BigInt(rows.length + 1), topic: 't', key, value: key, headers: null, published_at: '' });
  };
  const publish = (...keys: string[]) => {
    write(keys);
    heard++;
    for (const wake of [...sleepers]) wake();
  };
  // Another process's publish: in the file, but nobody in this one hears of it.
  const publishUnheard = (...keys: string[]) => write(keys);
  return { log, publish, publishUnheard };
}

const options = { pollMs: 60_000, retryDelayMs: 10, maxInHand: 200, commitEvery: 100, commitEveryMs: 50 };

describe('the embedded consumer reads the log only when it may hold something new', () => {
  it('runs ending wake it without a read; a publish heard of, or a full read, leads to the next read', async () => {
    const { log, publish } = countingLog();
    const handled: string[] = [];
    const consumer = consumeEmbedded(
      log,
      {
        topic: 't',
        group: 'g',
        handle: async (record) => {
          await new Promise((r) => setTimeout(r, 1));
          handled.push(record.key);
        },
      },
      { ...options, maxInHand: 20, commitEvery: 10 },
      () => undefined,
    );
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
      publish(...keys);
      await expect.poll(() => handled.length).toBe(10);
      // Ten runs ended, each waking the loop: one read took the ten records, nothing was read for the wakes.
      const afterFirst = log.reads;
      expect(afterFirst).toBeLessThanOrEqual(2);
      publish('k10');
      await expect.poll(() => handled).toContain('k10');
      expect(log.reads).toBeLessThanOrEqual(afterFirst + 2);
      // More than fit in hand: each read that stopped at its limit is followed by another, with no publish.
      publish(...Array.from({ length: 50 }, (_, i) => `m${i}`));
      await expect.poll(() => handled.length).toBe(61);
    } finally {
      await consumer.stop();
    }
  });

  it('reads again after its poll interval though nothing was heard of (a publish by another process)', async () => {
    const { log, publish, publishUnheard } = countingLog();
    const handled: string[] = [];
    const consumer = consumeEmbedded(
      log,
      { topic: 't', group: 'g', handle: async (record) => void handled.push(record.key) },
      { ...options, pollMs: 20 },
      () => undefined,
    );
    try {
      publish('a');
      await expect.poll(() => handled).toEqual(['a']);
      publishUnheard('b');
      await expect.poll(() => handled).toEqual(['a', 'b']);
    } finally {
      await consumer.stop();
    }
  });

  it("keeps its poll's time when a run ending wakes it: another process's record waits one interval, not two", async () => {
    const { log, publish, publishUnheard } = countingLog();
    const POLL_MS = 1000;
    const handled: Array<{ key: string; at: number }> = [];
    let slowStarted = false;
    const consumer = consumeEmbedded(
      log,
      {
        topic: 't',
        group: 'g',
        handle: async (record) => {
          if (record.key === 'slow') {
            slowStarted = true;
            await new Promise((r) => setTimeout(r, 0.7 * POLL_MS));
          }
          handled.push({ key: record.key, at: performance.now() });
        },
      },
      { ...options, pollMs: POLL_MS },
      () => undefined,
    );
    try {
      publish('slow');
      await expect.poll(() => slowStarted).toBe(true);
      const start = performance.now();
      publishUnheard('x');
      await expect.poll(() => handled.map((h) => h.key), { timeout: 5000 }).toContain('x');
      // Read by the poll due one interval after the read that took 'slow' (its ending woke the loop at 0.7 of
      // it, and a sleep of a whole interval from there would read it at 1.7).
      expect(handled.find((h) => h.key === 'x')!.at - start).toBeLessThan(1.4 * POLL_MS);
    } finally {
      await consumer.stop();
    }
  });
});
