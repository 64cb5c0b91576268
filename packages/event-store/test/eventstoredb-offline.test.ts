import { Readable } from 'node:stream';
import { BACKWARDS, END, START, StreamDeletedError, type Position } from '@eventstore/db-client';
import { describe, expect, it, vi } from 'vitest';
import { eventStoreDbEventStore, type EsdbClient } from '../src/index.ts';

/**
 * The adapter's own logic against a scripted client with @eventstore/db-client's shapes, where no
 * EventStoreDB can run (no Docker engine here). The contract suite against a real server runs in the
 * Docker workflow. What is scripted is the client's surface, not the store: $all is an array.
 */
interface LogEntry {
  streamId: string;
  type: string;
  position: Position;
}

/** The client's own error class, as its gRPC layer would raise it (its constructor wants a gRPC status). */
const deleted = (streamName: string) =>
  Object.assign(Object.create(StreamDeletedError.prototype) as Error, {
    message: `${streamName} is deleted`,
    streamName,
  });

const pos = (n: number): Position => ({ commit: BigInt(n), prepare: BigInt(n) });

function resolved(entry: LogEntry, revision = 0) {
  return {
    event: {
      id: `${entry.streamId}-${entry.position.commit}`,
      streamId: entry.streamId,
      revision: BigInt(revision),
      position: entry.position,
      type: entry.type,
      data: { n: Number(entry.position.commit) },
      metadata: {},
      isJson: true,
      created: new Date(0),
    },
  };
}

interface ScriptedRead extends Readable {
  cancel(): Promise<void>;
  cancelled: boolean;
}

function scriptedClient(log: LogEntry[], script: { failSubscriptionAfter?: number[]; failReadAfter?: number } = {}) {
  const reads: Array<{
    options: { direction?: unknown; fromPosition?: unknown; maxCount?: number | bigint };
    read: ScriptedRead;
  }> = [];
  const subscriptions: Array<{ from: unknown }> = [];
  /** A subscription stays open past its last event, as a live one does; a read ends. */
  const makeRead = (items: unknown[], failAfter?: number, stayOpen = false): ScriptedRead => {
    let i = 0;
    const read = new Readable({
      objectMode: true,
      read() {
        if (failAfter !== undefined && i === failAfter)
          return void this.destroy(new Error('UNAVAILABLE: connection dropped'));
        if (i < items.length) this.push(items[i++]);
        else if (!stayOpen) this.push(null);
      },
    }) as ScriptedRead;
    read.cancelled = false;
    read.cancel = async () => {
      read.cancelled = true;
      read.destroy();
    };
    return read;
  };
  const client = {
    readAll(options: {
      direction?: unknown;
      fromPosition?: Position | typeof START | typeof END;
      maxCount?: number | bigint;
    }) {
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      let items: LogEntry[];
      if (options.direction === BACKWARDS) items = [...log].reverse().slice(0, max);
      else {
        const from = options.fromPosition;
        const start =
          from === START || from === undefined
            ? 0
            : log.findIndex((e) => e.position.commit >= (from as Position).commit);
        items = (start < 0 ? [] : log.slice(start)).slice(0, max);
      }
      const read = makeRead(
        items.map((e) => resolved(e)),
        script.failReadAfter,
      );
      reads.push({ options, read });
      return read;
    },
    readStream(streamId: string) {
      if (streamId.startsWith('deleted')) {
        const read = makeRead([]);
        queueMicrotask(() => read.destroy(deleted(streamId)));
        return read;
      }
      return makeRead(log.filter((e) => e.streamId === streamId).map((e, i) => resolved(e, i)));
    },
    async appendToStream(streamId: string) {
      throw deleted(streamId);
    },
    subscribeToAll(options: { fromPosition: Position | typeof START }) {
      subscriptions.push({ from: options.fromPosition });
      const from = options.fromPosition;
      const start = from === START ? 0 : log.findIndex((e) => e.position.commit >= (from as Position).commit);
      const items = log
        .slice(start)
        .filter((e) => !e.streamId.startsWith('$') && e.streamId.startsWith('incident-'))
        .map((e) => resolved(e));
      const failAfter = script.failSubscriptionAfter?.[subscriptions.length - 1];
      const read = makeRead(items, failAfter, true) as ScriptedRead & { unsubscribe(): Promise<void> };
      read.unsubscribe = async () => void read.destroy();
      if (failAfter === undefined) setTimeout(() => read.emit('caughtUp'), 5);
      return read;
    },
    async dispose() {},
  };
  return { client: client as unknown as EsdbClient, reads, subscriptions };
}

const entries = (count: number, streamOf: (i: number) => string, firstPosition = 1): LogEntry[] =>
  Array.from({ length: count }, (_, i) => ({
    streamId: streamOf(i),
    type: 'Something',
    position: pos(firstPosition + i),
  }));

describe('EventStoreDB adapter logic, without a server', () => {
  it('reads $all in pages bounded by maxCount, each read to its end: a limited read leaves no call open', async () => {
    const log = entries(50, (i) => (i % 5 === 0 ? '$stats' : `incident-${i}`));
    const { client, reads } = scriptedClient(log);
    const store = eventStoreDbEventStore(client);
    const first = await store.readAll({ limit: 7 });
    expect(first.map((e) => e.streamId)).toEqual([
      'incident-1',
      'incident-2',
      'incident-3',
      'incident-4',
      'incident-6',
      'incident-7',
      'incident-8',
    ]);
    const next = await store.readAll({ limit: 7, after: first.at(-1)!.position });
    expect(next[0]!.streamId).toBe('incident-9');
    expect(reads.every(({ options }) => Number(options.maxCount) <= 8)).toBe(true);
    expect(reads.every(({ read }) => read.readableEnded || read.cancelled)).toBe(true);
  });

  it('cancels a read the loop leaves early, so a hundred failed reads do not exhaust the channel', async () => {
    const { client, reads } = scriptedClient(
      entries(20, (i) => `incident-${i}`),
      { failReadAfter: 3 },
    );
    const store = eventStoreDbEventStore(client);
    for (let i = 0; i < 120; i++) await expect(store.readAll({ limit: 10 })).rejects.toThrow(/UNAVAILABLE/);
    expect(reads).toHaveLength(120);
    expect(reads.filter(({ read }) => !read.readableEnded && !read.cancelled)).toEqual([]);
  });

  it('finds the head with one event read backwards on the server, however many system or other events lie at the end', async () => {
    // 20,000 events past the last incident event: the old client-side scan stopped at 10,000 and answered an older head.
    const log = [...entries(10, (i) => `incident-${i}`), ...entries(20_000, () => '$projections-x', 11)];
    const { client, reads } = scriptedClient(log);
    const store = eventStoreDbEventStore(client);
    expect(await store.headPosition()).toBe((20_010n << 64n) + 20_010n);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.options).toMatchObject({ direction: BACKWARDS, fromPosition: END, maxCount: 1 });
    for (let i = 0; i < 150; i++) await store.ping();
    expect(reads.filter(({ read }) => !read.readableEnded && !read.cancelled)).toEqual([]);
  });

  it('resubscribes from the last position with backoff when the subscription breaks; every event arrives once, in order', async () => {
    const log = entries(30, (i) => `incident-${i}`);
    // Breaks after 10 events, then twice at once (no progress: the pause doubles), then after 5 more.
    const { client, subscriptions } = scriptedClient(log, { failSubscriptionAfter: [10, 0, 0, 5] });
    const store = eventStoreDbEventStore(client, { retryMs: 10 });
    const seen: number[] = [];
    const interruptions: number[] = [];
    const onError = vi.fn();
    const subscription = store.subscribe({
      streamPrefix: 'incident-',
      batchSize: 4,
      onEvents: (events) => void seen.push(...events.map((e) => (e.data as { n: number }).n)),
      onError,
      onInterrupted: (_error, retryInMs) => interruptions.push(retryInMs),
    });
    await vi.waitFor(() => expect(seen).toHaveLength(30), { timeout: 5000 });
    expect(seen).toEqual(log.map((e) => Number(e.position.commit)));
    expect(interruptions).toEqual([10, 20, 40, 10]);
    expect(onError).not.toHaveBeenCalled();
    // Each resubscription started from the last event handled, not from the start.
    expect(subscriptions.map((s) => (s.from === START ? 'start' : Number((s.from as Position).commit)))).toEqual([
      'start',
      seen[9],
      seen[9],
      seen[9],
      seen[13],
    ]);
    await subscription.caughtUp();
    await subscription.stop();
  });

  it('caughtUp() waits until the subscription handled everything up to the head', async () => {
    const log = entries(40, (i) => `incident-${i}`);
    const { client } = scriptedClient(log);
    const store = eventStoreDbEventStore(client);
    const seen: number[] = [];
    const subscription = store.subscribe({
      streamPrefix: 'incident-',
      batchSize: 5,
      onEvents: async (events) => {
        await new Promise((r) => setTimeout(r, 5));
        seen.push(...events.map((e) => (e.data as { n: number }).n));
      },
    });
    await subscription.caughtUp();
    expect(seen).toHaveLength(40);
    await subscription.stop();
  });

  it('maps a deleted stream: it reads as none, and an append to it says so', async () => {
    const { client } = scriptedClient([]);
    const store = eventStoreDbEventStore(client);
    expect(await store.readStream('deleted-incident')).toEqual([]);
    await expect(store.append('deleted-incident', [{ type: 'X', data: {} }], 'any')).rejects.toThrow(/was deleted/);
  });
});
