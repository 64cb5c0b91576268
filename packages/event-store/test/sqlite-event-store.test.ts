import { describe, expect, it } from 'vitest';
import { tempDir } from '@klaxon/testing';
import { openSqliteEventStore, type EventStore } from '../src/index.ts';
import { eventStoreContract } from './contract/event-store-contract.ts';

eventStoreContract('SQLite (embedded)', async () => {
  const dir = tempDir('klaxon-es-');
  const open = () => openSqliteEventStore(dir.file('events.db'), { pollMs: 20 });
  let store = open();
  return {
    store,
    async reopen() {
      await store.close();
      store = open();
      return store;
    },
    async dispose() {
      await store.close();
      dir.remove();
    },
  };
});

describe('SQLite group commit under a stream of appends', () => {
  // A hold far longer than any commit here, so that waiting for it cannot be mistaken for a slow disk.
  const HOLD_MS = 2000;
  const openStore = () => {
    const dir = tempDir('klaxon-es-pacing-');
    const store = openSqliteEventStore(dir.file('events.db'), {
      commitPacing: { holdMs: HOLD_MS, busyAppends: 3, withinMs: 1000, maxBatch: 5 },
    });
    return { store, dispose: async () => (await store.close(), dir.remove()) };
  };
  /** The paced store for `use`, closed and its directory removed after it, whatever `use` throws. */
  const withStore = async (use: (store: EventStore) => Promise<void>) => {
    const { store, dispose } = openStore();
    try {
      await use(store);
    } finally {
      await dispose();
    }
  };
  const event = { type: 'Noted', data: {} };
  /** Two callers at once: a batch with company. */
  const twoAtOnce = (store: EventStore) =>
    Promise.all([store.append('s-1', [event], 'any'), store.append('s-2', [event], 'any')]);
  const timed = async (append: Promise<unknown>) => {
    const start = performance.now();
    await append;
    return performance.now() - start;
  };

  it("commits an append after a quiet spell at once, and a lone writer's appends one after another", async () => {
    await withStore(async (store) => {
      expect(await timed(store.append('s-0', [event], 'any'))).toBeLessThan(HOLD_MS / 2);
      // Each waits for the one before: a steady stream, but never two in a batch, so nothing to wait for.
      for (let i = 1; i <= 5; i++)
        expect(await timed(store.append(`s-${i}`, [event], 'any'))).toBeLessThan(HOLD_MS / 2);
    });
  });

  it('holds a new batch while appends from several callers keep coming, for the next ones to share its commit', async () => {
    await withStore(async (store) => {
      await twoAtOnce(store);
      expect(await timed(store.append('s-3', [event], 'any'))).toBeGreaterThanOrEqual(HOLD_MS - 5);
      expect((await store.readAll({ limit: 10 })).map((e) => e.streamId)).toEqual(['s-1', 's-2', 's-3']);
    });
  });

  it('commits a held batch as soon as it is full, each append with its own outcome', async () => {
    await withStore(async (store) => {
      await twoAtOnce(store);
      const batch = ['a', 'b', 'c', 'd', 'e'].map((s) => store.append(`s-${s}`, [event], 'no_stream'));
      const conflicting = store.append('s-1', [event], 'no_stream');
      const start = performance.now();
      const outcomes = await Promise.all(batch);
      expect(performance.now() - start).toBeLessThan(HOLD_MS / 2);
      expect(outcomes.every((o) => o.ok)).toBe(true);
      expect((await conflicting).ok).toBe(false);
    });
  });

  it('commits a held batch when the store closes', async () => {
    const { store, dispose } = openStore();
    await twoAtOnce(store);
    const held = store.append('s-3', [event], 'any');
    await dispose();
    expect((await held).ok).toBe(true);
  });
});

describe('SQLite stores on one file in one process', () => {
  // pnpm start's escalation and projection threads each have one. The two here share a thread: a
  // BroadcastChannel delivers to the other instances of its name alike in this thread and in others.
  it("hear of each other's appends at once, not at their next poll", async () => {
    const dir = tempDir('klaxon-es-threads-');
    // A poll far beyond the test's wait: only the word from the other store can wake the follower in time.
    const writer = openSqliteEventStore(dir.file('events.db'), { pollMs: 600_000 });
    const reader = openSqliteEventStore(dir.file('events.db'), { pollMs: 600_000 });
    const seen: string[] = [];
    const subscription = reader.subscribe({
      streamPrefix: 'incident-',
      onEvents: (batch) => void seen.push(...batch.map((e) => e.streamId)),
    });
    try {
      await subscription.caughtUp();
      await writer.append('incident-1', [{ type: 'Opened', data: {}, metadata: {} }], 'no_stream');
      await expect.poll(() => seen, { timeout: 5000 }).toEqual(['incident-1']);
    } finally {
      await subscription.stop();
      await Promise.all([writer.close(), reader.close()]);
      dir.remove();
    }
  });
});
