import { afterEach, describe, expect, it } from 'vitest';
import { UnstorableEvents, type EventStore, type NewEvent, type RecordedEvent } from '../../src/index.ts';

export interface EventStoreHarness {
  store: EventStore;
  /** Prefix for this test's stream names, where one server serves many tests (EventStoreDB). */
  namespace?: string;
  /** Closes the store and opens a new one on the same storage, as a restart does. */
  reopen(): Promise<EventStore>;
  dispose(): Promise<void>;
}

const e = (n: number, type = 'Happened'): NewEvent => ({
  type,
  data: { n, nested: { list: [n, `${n}`] } },
  metadata: { causation: `c${n}` },
});

async function collect(
  store: EventStore,
  count: number,
  after?: bigint,
  streamPrefix?: string,
): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const sub = store.subscribe({
    after,
    streamPrefix,
    batchSize: 7,
    onEvents: (batch) => {
      seen.push(...batch);
      if (seen.length >= count) resolveDone();
    },
  });
  await Promise.race([
    done,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`only ${seen.length}/${count} events arrived`)), 10_000),
    ),
  ]);
  await sub.stop();
  return seen;
}

/** Every event-store adapter must pass this suite unchanged. */
export function eventStoreContract(name: string, open: () => Promise<EventStoreHarness>): void {
  describe(`event store contract: ${name}`, () => {
    let harness: EventStoreHarness;
    /** History before the test began: a shared server has some; reads start after it. */
    let base: bigint | undefined;
    let ns = '';
    const setup = async () => {
      harness = await open();
      ns = harness.namespace ?? '';
      base = await harness.store.headPosition();
      return harness.store;
    };
    const n = (name: string) => `${ns}${name}`;
    afterEach(async () => harness?.dispose());

    it('appends to a new stream and reads it back in order with revisions from 0', async () => {
      const store = await setup();
      const result = await store.append(n('incident-a'), [e(1), e(2), e(3)], 'no_stream');
      expect(result).toMatchObject({ ok: true, value: { nextExpectedRevision: 2 } });
      const events = await store.readStream(n('incident-a'));
      expect(events.map((x) => [x.revision, x.type, x.data, x.metadata])).toEqual([
        [0, 'Happened', e(1).data, e(1).metadata],
        [1, 'Happened', e(2).data, e(2).metadata],
        [2, 'Happened', e(3).data, e(3).metadata],
      ]);
      expect(new Set(events.map((x) => x.eventId)).size).toBe(3);
      expect(await store.readStream(n('incident-a'), 2)).toHaveLength(1);
      expect(await store.readStream(n('incident-missing'))).toEqual([]);
    });

    it('keeps each event of one append as written: objects and arrays, quotes, backslashes and commas, metadata or none', async () => {
      const store = await setup();
      const events: NewEvent[] = [
        { type: 'Bare', data: { quoted: 'a "b" \\ c', commas: 'x,y', list: [] } },
        e(1),
        { type: 'Listed', data: [1, 'two', null], metadata: { by: 'x' } },
        // Metadata whose JSON is null is none.
        { type: 'Empty', data: {}, metadata: { toJSON: () => null } },
      ];
      await store.append(n('incident-shapes'), events, 'no_stream');
      const read = await store.readStream(n('incident-shapes'));
      expect(read.map((x) => [x.type, x.data, x.metadata])).toEqual([
        ['Bare', events[0]!.data, {}],
        ['Happened', e(1).data, e(1).metadata],
        ['Listed', [1, 'two', null], { by: 'x' }],
        ['Empty', {}, {}],
      ]);
    });

    it('appends at the expected revision and refuses a stale one with a typed conflict', async () => {
      const store = await setup();
      await store.append(n('s'), [e(1)], 'no_stream');
      expect((await store.append(n('s'), [e(2)], 0)).ok).toBe(true);
      expect(await store.append(n('s'), [e(3)], 0)).toEqual({
        ok: false,
        error: { code: 'WrongExpectedRevision', streamId: n('s'), expected: 0, actual: 1 },
      });
      expect(await store.append(n('s'), [e(3)], 'no_stream')).toMatchObject({ ok: false, error: { actual: 1 } });
      expect(await store.append(n('other'), [e(3)], 'stream_exists')).toMatchObject({
        ok: false,
        error: { actual: 'no_stream' },
      });
      expect(await store.append(n('other'), [e(3)], 5)).toMatchObject({
        ok: false,
        error: { expected: 5, actual: 'no_stream' },
      });
      expect((await store.append(n('s'), [e(3)], 'any')).ok).toBe(true);
      expect((await store.readStream(n('s'))).map((x) => x.data)).toEqual([e(1).data, e(2).data, e(3).data]);
    });

    it('lets exactly one of many parallel appends at the same revision through', async () => {
      const store = await setup();
      await store.append(n('race'), [e(0)], 'no_stream');
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.append(n('race'), [e(i + 1), e(i + 100)], 0)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.error.code === 'WrongExpectedRevision')).toBe(true);
      expect(await store.readStream(n('race'))).toHaveLength(3);
    });

    it('appends made side by side each keep their own check: a stale one is refused alone, the rest land at their revisions', async () => {
      const store = await setup();
      for (let i = 0; i < 6; i++) await store.append(n(`side-${i}`), [e(0)], 'no_stream');
      // Stream 2 is asked at a stale revision; stream 4 twice at the same one, so only the first of those lands.
      const asked = [0, 1, 2, 3, 4, 4, 5].map((i) => ({ stream: n(`side-${i}`), expected: i === 2 ? 5 : 0 }));
      const results = await Promise.all(
        asked.map(({ stream }, k) => store.append(stream, [e(10 + k), e(20 + k)], asked[k]!.expected)),
      );
      expect(results.map((r) => r.ok)).toEqual([true, true, false, true, true, false, true]);
      for (const [k, result] of results.entries()) {
        if (!result.ok) continue;
        expect(result.value.nextExpectedRevision).toBe(2);
        const stream = await store.readStream(asked[k]!.stream);
        expect(stream.map((x) => x.data)).toEqual([e(0).data, e(10 + k).data, e(20 + k).data]);
      }
      expect(await store.readStream(n('side-2'))).toHaveLength(1);
    });

    it('an event no store can keep is refused alone, with a typed error; the appends beside it in the same turn commit', async () => {
      const store = await setup();
      const results = await Promise.allSettled([
        store.append(n('kept-1'), [e(1)], 'no_stream'),
        store.append(n('unkept'), [{ type: 'Happened', data: { n: 10n } }], 'no_stream'),
        store.append(n('kept-2'), [e(2)], 'no_stream'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const refusal = (results[1] as PromiseRejectedResult).reason as Error;
      expect(refusal).toBeInstanceOf(UnstorableEvents);
      expect(refusal).toMatchObject({ code: 'UnstorableEvents', retryable: false, streamId: n('unkept') });
      expect((await store.readStream(n('kept-1'))).map((x) => x.data)).toEqual([e(1).data]);
      expect((await store.readStream(n('kept-2'))).map((x) => x.data)).toEqual([e(2).data]);
      expect(await store.readStream(n('unkept'))).toEqual([]);
    });

    it('text some stores cannot keep (a NUL, a lone surrogate) is kept exactly or refused alone, never failing the appends beside it', async () => {
      const store = await setup();
      const hostile = [
        { type: 'Happened', data: { title: 'nul \u0000 here', labels: { a: 'x\u0000y' } } },
        { type: 'Happened', data: { title: 'lone \ud800 surrogate' } },
      ];
      const asked = [
        { stream: n('good-1'), events: [e(1), e(2)] },
        { stream: n('hostile-nul'), events: [hostile[0]!] },
        { stream: n('good-2'), events: [e(3)] },
        { stream: n('hostile-surrogate'), events: [hostile[1]!] },
        { stream: n('good-3'), events: [e(4)] },
      ];
      const results = await Promise.allSettled(asked.map((a) => store.append(a.stream, a.events, 'no_stream')));
      for (const [k, result] of results.entries()) {
        const { stream, events } = asked[k]!;
        if (result.status === 'rejected') {
          expect(stream).toMatch(/hostile/);
          expect(result.reason).toBeInstanceOf(UnstorableEvents);
          expect(await store.readStream(stream)).toEqual([]);
        } else {
          expect(result.value.ok).toBe(true);
          expect((await store.readStream(stream)).map((x) => x.data)).toEqual(events.map((x) => x.data));
        }
      }
      // The store goes on taking appends after a refusal.
      expect((await store.append(n('good-1'), [e(5)], 1)).ok).toBe(true);
    });

    it('keeps one global order across streams, read from any position', async () => {
      const store = await setup();
      await store.append(n('incident-1'), [e(1)], 'no_stream');
      await store.append(n('incident-2'), [e(2)], 'no_stream');
      await store.append(n('incident-1'), [e(3), e(4)], 0);
      await store.append(n('bus-x'), [e(5)], 'no_stream');
      const all = await store.readAll({ after: base, limit: 100 });
      expect(all.map((x) => (x.data as { n: number }).n)).toEqual([1, 2, 3, 4, 5]);
      const positions = all.map((x) => x.position);
      expect([...positions].sort((a, b) => (a < b ? -1 : 1))).toEqual(positions);
      expect(new Set(positions).size).toBe(5);
      expect((await store.readAll({ after: positions[1], limit: 2 })).map((x) => (x.data as { n: number }).n)).toEqual([
        3, 4,
      ]);
      expect(
        (await store.readAll({ after: base, limit: 100, streamPrefix: n('incident-') })).map((x) => x.streamId),
      ).toEqual(['incident-1', 'incident-2', 'incident-1', 'incident-1'].map(n));
      expect(await store.headPosition()).toBe(positions[4]);
    });

    it('treats the stream prefix literally, not as a pattern', async () => {
      const store = await setup();
      await store.append(n('in_x-1'), [e(1)], 'no_stream');
      await store.append(n('inAx-1'), [e(2)], 'no_stream');
      expect(
        (await store.readAll({ after: base, limit: 10, streamPrefix: n('in_x-') })).map((x) => x.streamId),
      ).toEqual([n('in_x-1')]);
    });

    it('reads a prefix longer than its category, and one without a dash across the categories it takes', async () => {
      const store = await setup();
      for (const id of ['shift-notices-a', 'shift-x', 'heartbeat-1', 'heartbeats', 'heart-1', 'shift-notices-b'])
        await store.append(n(id), [e(1)], 'no_stream');
      await store.append(n('heartbeat-1'), [e(2)], 0);
      const ids = async (prefix: string) =>
        (await store.readAll({ after: base, limit: 10, streamPrefix: n(prefix) })).map((x) => x.streamId);
      expect(await ids('shift-notices-')).toEqual(['shift-notices-a', 'shift-notices-b'].map(n));
      expect(await ids('heartbeat')).toEqual(['heartbeat-1', 'heartbeats', 'heartbeat-1'].map(n));
      // A limit smaller than the categories' events together takes the first by position, whichever category.
      const firstTwo = await store.readAll({ after: base, limit: 2, streamPrefix: n('heartbeat') });
      expect(firstTwo.map((x) => x.streamId)).toEqual(['heartbeat-1', 'heartbeats'].map(n));
      const rest = await store.readAll({ after: firstTwo[1]!.position, limit: 2, streamPrefix: n('heartbeat') });
      expect(rest.map((x) => x.streamId)).toEqual([n('heartbeat-1')]);
      expect(await ids('shift-')).toEqual(['shift-notices-a', 'shift-x', 'shift-notices-b'].map(n));
    });

    it('subscribes: catches up on history, then receives live appends, each once, in order', async () => {
      const store = await setup();
      for (let i = 0; i < 20; i++) await store.append(n(`incident-${i % 3}`), [e(i)], 'any');
      const arriving = collect(store, 45, base);
      for (let i = 20; i < 45; i++) await store.append(n(`incident-${i % 3}`), [e(i)], 'any');
      const seen = await arriving;
      expect(seen.map((x) => (x.data as { n: number }).n)).toEqual(Array.from({ length: 45 }, (_, i) => i));
    });

    it('subscribes from a position, and with a stream prefix', async () => {
      const store = await setup();
      await store.append(n('incident-1'), [e(1), e(2)], 'no_stream');
      const [, second] = await store.readAll({ after: base, limit: 2 });
      await store.append(n('bus-1'), [e(3)], 'no_stream');
      await store.append(n('incident-2'), [e(4)], 'no_stream');
      const seen = await collect(store, 1, second!.position, n('incident-'));
      expect(seen.map((x) => (x.data as { n: number }).n)).toEqual([4]);
    });

    it('caughtUp() resolves once the subscriber has handled everything appended before, even past filtered events', async () => {
      const store = await setup();
      const handled: number[] = [];
      const sub = store.subscribe({
        streamPrefix: n('incident-'),
        onEvents: (batch) => void handled.push(...batch.map((x) => (x.data as { n: number }).n)),
      });
      await store.append(n('incident-1'), [e(1)], 'no_stream');
      await store.append(n('other-1'), [e(2)], 'no_stream');
      await sub.caughtUp();
      expect(handled).toEqual([1]);
      await sub.stop();
    });

    it('delivers every event of many concurrent appenders to a live subscriber, none twice, in position order', async () => {
      const store = await setup();
      const arriving = collect(store, 200, base);
      await Promise.all(
        Array.from({ length: 20 }, async (_, s) => {
          for (let i = 0; i < 5; i++) {
            const result = await store.append(
              n(`incident-${s}`),
              [e(s * 100 + i * 2), e(s * 100 + i * 2 + 1)],
              i === 0 ? 'no_stream' : i * 2 - 1,
            );
            expect(result.ok).toBe(true);
          }
        }),
      );
      const seen = await arriving;
      expect(seen).toHaveLength(200);
      expect(new Set(seen.map((x) => x.eventId)).size).toBe(200);
      for (let i = 1; i < seen.length; i++) expect(seen[i]!.position > seen[i - 1]!.position).toBe(true);
      const perStream = new Map<string, number[]>();
      for (const x of seen) perStream.set(x.streamId, [...(perStream.get(x.streamId) ?? []), x.revision]);
      for (const revisions of perStream.values()) expect(revisions).toEqual(Array.from({ length: 10 }, (_, i) => i));
    });

    it('stops a subscription when its handler throws, and reports the error', async () => {
      const store = await setup();
      await store.append(n('s'), [e(1)], 'no_stream');
      const failure = await new Promise<unknown>((resolve) => {
        store.subscribe({ after: base, onEvents: () => Promise.reject(new Error('handler broke')), onError: resolve });
      });
      expect(failure).toEqual(new Error('handler broke'));
    });

    it('survives a restart: everything reads back and appends carry on at the right revision', async () => {
      let store = await setup();
      await store.append(n('incident-r'), [e(1), e(2)], 'no_stream');
      await store.append(n('incident-q'), [e(3)], 'no_stream');
      const before = await store.readAll({ after: base, limit: 10 });
      store = await harness.reopen();
      expect(await store.readAll({ after: base, limit: 10 })).toEqual(before);
      expect(await store.append(n('incident-r'), [e(4)], 0)).toMatchObject({ ok: false, error: { actual: 1 } });
      expect((await store.append(n('incident-r'), [e(4)], 1)).ok).toBe(true);
      const [last] = (await store.readAll({ after: before[2]!.position, limit: 10 })).map((x) => x.position);
      expect(last! > before[2]!.position).toBe(true);
    });
  });
}
