import { afterEach, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_AFTER,
  deadLetterTopicOf,
  UnprocessableRecordError,
  type Bus,
  type BusConsumer,
  type DeliveredRecord,
} from '../../src/index.ts';

export interface BusHarness {
  bus: Bus;
  /** Closes the bus and opens a new one on the same storage or cluster, as a restart does. */
  reopen(): Promise<Bus>;
  dispose(): Promise<void>;
}

const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every bus adapter must pass this suite unchanged. */
export function busContract(name: string, open: () => Promise<BusHarness>, timeoutMs = 30_000): void {
  describe(`bus contract: ${name}`, { timeout: timeoutMs * 2 }, () => {
    let harness: BusHarness;
    const consumers: BusConsumer[] = [];
    const setup = async () => (harness = await open()).bus;
    const consume = async (
      bus: Bus,
      topic: string,
      group: string,
      handle: (r: DeliveredRecord) => Promise<void> | void,
    ) => {
      const consumer = await bus.consume({ topic, group, handle: async (r) => handle(r) });
      consumers.push(consumer);
      return consumer;
    };
    afterEach(async () => {
      for (const c of consumers.splice(0)) await c.stop().catch(() => undefined);
      await harness?.dispose();
    });

    it('delivers published records with key, value and headers, keeping each key in order', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(topic, [
        { key: 'group-a', value: { n: 1 }, headers: { source: 'alertmanager' } },
        { key: 'group-b', value: { n: 2 } },
        { key: 'group-a', value: { n: 3 } },
      ]);
      await bus.publish(topic, [{ key: 'group-a', value: { n: 4, nested: { list: ['x'] } } }]);
      const seen: DeliveredRecord[] = [];
      await consume(bus, topic, unique('g'), (r) => void seen.push(r));
      await until(() => seen.length === 4, '4 records', timeoutMs);
      const groupA = seen.filter((r) => r.key === 'group-a').map((r) => r.value);
      expect(groupA).toEqual([{ n: 1 }, { n: 3 }, { n: 4, nested: { list: ['x'] } }]);
      expect(seen.find((r) => (r.value as { n: number }).n === 1)?.headers).toMatchObject({ source: 'alertmanager' });
      expect(seen.every((r) => r.topic === topic && !Number.isNaN(Date.parse(r.publishedAt)))).toBe(true);
    });

    it('keeps order for every key under many interleaved keys', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      const records = Array.from({ length: 300 }, (_, i) => ({ key: `g${i % 17}`, value: { i } }));
      for (let i = 0; i < records.length; i += 50) await bus.publish(topic, records.slice(i, i + 50));
      const perKey = new Map<string, number[]>();
      let count = 0;
      await consume(bus, topic, unique('g'), (r) => {
        perKey.set(r.key, [...(perKey.get(r.key) ?? []), (r.value as { i: number }).i]);
        count++;
      });
      await until(() => count === 300, '300 records', timeoutMs);
      for (const [key, values] of perKey) {
        expect(values).toEqual(records.filter((r) => r.key === key).map((r) => r.value.i));
      }
    });

    it('resumes a group after its committed offset: nothing handled is delivered again', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      const group = unique('g');
      await bus.publish(
        topic,
        [1, 2, 3].map((n) => ({ key: 'k', value: { n } })),
      );
      const first: number[] = [];
      const consumer = await consume(bus, topic, group, (r) => void first.push((r.value as { n: number }).n));
      await until(() => first.length === 3, 'first three', timeoutMs);
      await consumer.stop();
      await bus.publish(
        topic,
        [4, 5].map((n) => ({ key: 'k', value: { n } })),
      );
      const second: number[] = [];
      await consume(bus, topic, group, (r) => void second.push((r.value as { n: number }).n));
      await until(() => second.length === 2, 'the next two', timeoutMs);
      expect(first).toEqual([1, 2, 3]);
      expect(second).toEqual([4, 5]);
    });

    it('gives every group its own copy of the log', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(topic, [
        { key: 'k', value: { n: 1 } },
        { key: 'k', value: { n: 2 } },
      ]);
      const a: unknown[] = [];
      const b: unknown[] = [];
      await consume(bus, topic, unique('ga'), (r) => void a.push(r.value));
      await consume(bus, topic, unique('gb'), (r) => void b.push(r.value));
      await until(() => a.length === 2 && b.length === 2, 'both groups', timeoutMs);
      expect(a).toEqual(b);
    });

    it('delivers a record again when its handler fails, and does not skip past it', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(topic, [
        { key: 'k', value: { n: 1 } },
        { key: 'k', value: { n: 2 } },
      ]);
      const attempts: number[] = [];
      let failuresLeft = 2;
      await consume(bus, topic, unique('g'), (r) => {
        const n = (r.value as { n: number }).n;
        attempts.push(n);
        if (n === 1 && failuresLeft-- > 0) throw new Error('store unavailable');
      });
      await until(() => attempts.includes(2), 'the second record', timeoutMs);
      expect(attempts.slice(0, 4)).toEqual([1, 1, 1, 2]);
    });

    it('moves a record its handler calls unprocessable to the dead-letter topic, says why, and goes on', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(
        topic,
        [1, 2, 3].map((n) => ({ key: 'k', value: { n }, headers: { source: 'test' } })),
      );
      const handled: number[] = [];
      const told: string[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          const n = (r.value as { n: number }).n;
          if (n === 2) throw new UnprocessableRecordError('not an AlertReceived');
          handled.push(n);
        },
        onDeadLetter: (r, reason) => told.push(`${(r.value as { n: number }).n}: ${reason}`),
      });
      consumers.push(consumer);
      await until(() => handled.length === 2, 'the records around the bad one', timeoutMs);
      expect(handled).toEqual([1, 3]);
      expect(told).toEqual(['2: not an AlertReceived']);
      const dead: DeliveredRecord[] = [];
      await consume(bus, deadLetterTopicOf(topic), unique('dlq'), (r) => void dead.push(r));
      await until(() => dead.length === 1, 'the dead letter', timeoutMs);
      expect(dead[0]).toMatchObject({
        key: 'k',
        headers: {
          source: 'test',
          'klaxon-dead-letter-reason': 'not an AlertReceived',
          'klaxon-original-topic': topic,
        },
      });
      expect(dead[0]!.value).toEqual({ n: 2 });
    });

    it('dead-letters a record whose handler fails the same way every time, once, with why, and goes on past it, also after a restart', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      const group = unique('g');
      await bus.publish(
        topic,
        [1, 2, 3, 4].map((n) => ({ key: 'k', value: { n }, headers: { source: 'test' } })),
      );
      const handled: number[] = [];
      let poisonTries = 0;
      const told: Array<{ n: number; reason: string; attempts: number }> = [];
      const handle = async (r: DeliveredRecord) => {
        const n = (r.value as { n: number }).n;
        if (n === 2) {
          poisonTries++;
          throw new Error(`unsupported Unicode escape sequence at ${Date.now()}`);
        }
        handled.push(n);
      };
      const first = await bus.consume({
        topic,
        group,
        handle,
        onDeadLetter: (r, reason, attempts) => told.push({ n: (r.value as { n: number }).n, reason, attempts }),
      });
      consumers.push(first);
      await until(() => handled.length === 3, 'the records behind the poison one', timeoutMs);
      expect(handled).toEqual([1, 3, 4]);
      expect(poisonTries).toBe(DEAD_LETTER_AFTER);
      expect(told).toEqual([
        {
          n: 2,
          reason: expect.stringMatching(/^handling failed 5 times the same way: unsupported Unicode escape sequence/),
          attempts: DEAD_LETTER_AFTER,
        },
      ]);
      const [letter, ...more] = await bus.deadLetters(topic, 10);
      expect(more).toEqual([]);
      expect(letter).toMatchObject({
        key: 'k',
        value: { n: 2 },
        headers: {
          source: 'test',
          'klaxon-dead-letter-reason': told[0]!.reason,
          'klaxon-dead-letter-attempts': String(DEAD_LETTER_AFTER),
          'klaxon-original-topic': topic,
        },
      });
      await first.stop();
      // Restarted, the group goes on after the poison record: it is not handled again.
      const restarted = await harness.reopen();
      await restarted.publish(topic, [{ key: 'k', value: { n: 5 } }]);
      const again = await restarted.consume({ topic, group, handle });
      consumers.push(again);
      await until(() => handled.includes(5), 'a record published after the restart', timeoutMs);
      expect(handled).toEqual([1, 3, 4, 5]);
      expect(poisonTries).toBe(DEAD_LETTER_AFTER);
    });

    it("takes a run that keeps failing one by one, so only its poison record is dead-lettered and the run's others are handled", async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(
        topic,
        ['a0', 'poison', 'a2'].map((value) => ({ key: 'a', value })),
      );
      await bus.publish(topic, [{ key: 'a', value: 'a3' }]);
      const handled: string[] = [];
      const dead: string[] = [];
      const failing = (values: unknown[]) => {
        if (values.includes('poison')) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
      };
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handleRun: async (records) => {
          failing(records.map((r) => r.value));
          handled.push(...records.map((r) => r.value as string));
        },
        handle: async (r) => {
          failing([r.value]);
          handled.push(r.value as string);
        },
        onDeadLetter: (r) => dead.push(r.value as string),
      });
      consumers.push(consumer);
      await until(
        () => handled.includes('a3') && dead.length === 1,
        'every record handled or dead-lettered',
        timeoutMs,
      );
      expect(dead).toEqual(['poison']);
      expect([...new Set(handled)].sort()).toEqual(['a0', 'a2', 'a3']);
      expect((await bus.deadLetters(topic, 10)).map((r) => r.value)).toEqual(['poison']);
    });

    it('dead-letters only the record at fault when records handled beside it failed with it', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(topic, [
        { key: 'a', value: 'poison' },
        { key: 'b', value: 'b1' },
        { key: 'c', value: 'c1' },
      ]);
      // As a store's group commit does: every append of the moment fails with the one it cannot keep.
      let poisonInHand = false;
      const handled = new Set<string>();
      const dead: string[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          if (r.value === 'poison') {
            poisonInHand = true;
            await new Promise((resolve) => setTimeout(resolve, 40));
            poisonInHand = false;
            throw new Error('unsupported Unicode escape sequence');
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
          if (poisonInHand) throw new Error('unsupported Unicode escape sequence');
          handled.add(r.value as string);
        },
        onDeadLetter: (r) => dead.push(r.value as string),
      });
      consumers.push(consumer);
      await until(() => handled.size === 2 && dead.length === 1, 'the others handled', timeoutMs);
      expect(dead).toEqual(['poison']);
      expect([...handled].sort()).toEqual(['b1', 'c1']);
    });

    it('dead-letters a record once, even when a record before it fails and comes again', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(topic, [
        { key: 'a', value: 'a1' },
        { key: 'b', value: 'bad' },
        { key: 'b', value: 'b2' },
      ]);
      let a1Failed = false;
      const handled: string[] = [];
      const dead: string[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          if (r.value === 'a1' && !a1Failed) {
            a1Failed = true;
            throw new Error('not yet');
          }
          if (r.value === 'bad') throw new UnprocessableRecordError('not a thing');
          handled.push(r.value as string);
        },
        onDeadLetter: (r) => dead.push(r.value as string),
      });
      consumers.push(consumer);
      await until(() => handled.includes('b2'), 'the record behind the bad one', timeoutMs);
      expect(dead).toEqual(['bad']);
      expect((await bus.deadLetters(topic, 10)).map((r) => r.value)).toEqual(['bad']);
    });

    it('retries through an outage of a dependency for as long as it lasts: such failures never dead-letter a record', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(
        topic,
        [1, 2].map((n) => ({ key: 'k', value: { n } })),
      );
      let storeDown = true;
      const attempts: number[] = [];
      const dead: unknown[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          const n = (r.value as { n: number }).n;
          attempts.push(n);
          if (storeDown) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
        },
        dependencyDown: async () => storeDown,
        onDeadLetter: (r) => dead.push(r.value),
      });
      consumers.push(consumer);
      await until(() => attempts.length > DEAD_LETTER_AFTER, 'more failures than make a poison record', timeoutMs);
      storeDown = false;
      await until(() => attempts.includes(2), 'the record behind it', timeoutMs);
      expect(dead).toEqual([]);
      expect(attempts.filter((n) => n === 1).length).toBeGreaterThan(DEAD_LETTER_AFTER);
      expect(await bus.deadLetters(topic, 10)).toEqual([]);
    });

    it('says since when it is stuck with records in hand, and nothing once it moves on and catches up', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(
        topic,
        [1, 2].map((n) => ({ key: 'k', value: { n } })),
      );
      let entered!: () => void;
      const inHand = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const handled: number[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          const n = (r.value as { n: number }).n;
          if (n === 1) {
            entered();
            await gate;
          }
          handled.push(n);
        },
      });
      consumers.push(consumer);
      await inHand;
      const since = consumer.stuckSince();
      expect(since).toBeLessThanOrEqual(Date.now());
      await new Promise((r) => setTimeout(r, 100));
      expect(consumer.stuckSince()).toBe(since);
      release();
      await until(() => handled.length === 2, 'both records', timeoutMs);
      await until(() => consumer.stuckSince() === undefined, 'caught up', timeoutMs);
    });

    it('finishes and commits the record in hand when stopped: the group does not get it again', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      const group = unique('g');
      await bus.publish(
        topic,
        [1, 2, 3].map((n) => ({ key: 'k', value: { n } })),
      );
      const first: number[] = [];
      let inHand!: () => void;
      const entered = new Promise<void>((resolve) => (inHand = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const consumer = await bus.consume({
        topic,
        group,
        handle: async (r) => {
          const n = (r.value as { n: number }).n;
          if (n === 1) {
            inHand();
            await gate;
          }
          first.push(n);
        },
      });
      await entered;
      expect(consumer.current()).toBe(true);
      const stopped = consumer.stop();
      release();
      await stopped;
      expect(consumer.current()).toBe(false);
      expect(first[0]).toBe(1);
      const second: number[] = [];
      await consume(bus, topic, group, (r) => void second.push((r.value as { n: number }).n));
      await until(() => first.length + second.length >= 3 && second.length > 0, 'the rest', timeoutMs);
      await new Promise((r) => setTimeout(r, 300));
      expect([...first, ...second]).toEqual([1, 2, 3].slice(0, first.length + second.length));
      expect(second).not.toContain(1);
    });

    it('survives a restart: every record published before it, and the group offsets, are still there', async () => {
      let bus = await setup();
      const topic = unique('alerts');
      const group = unique('g');
      await bus.publish(
        topic,
        [1, 2].map((n) => ({ key: 'k', value: { n } })),
      );
      const before: number[] = [];
      const consumer = await consume(bus, topic, group, (r) => void before.push((r.value as { n: number }).n));
      await until(() => before.length === 2, 'two records', timeoutMs);
      await consumer.stop();
      await bus.publish(
        topic,
        [3, 4].map((n) => ({ key: 'k', value: { n } })),
      );
      bus = await harness.reopen();
      const after: number[] = [];
      await consume(bus, topic, group, (r) => void after.push((r.value as { n: number }).n));
      await until(() => after.length === 2, 'records published before the restart', timeoutMs);
      expect(after).toEqual([3, 4]);
    });

    it('tells a consumer which partitions it holds, and the partitioner places every key in one of them', async () => {
      const bus = await setup();
      const topic = unique('alerts');
      await bus.publish(topic, [{ key: 'k', value: {} }]);
      let held: number[] | undefined;
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async () => undefined,
        onAssignment: (p) => (held = p),
      });
      await until(() => held !== undefined && held.length > 0, 'an assignment', timeoutMs);
      const partitionOf = await bus.partitioner(topic);
      for (const key of ['a', 'group-1', '{}:{alertname="X"}']) expect(held).toContain(partitionOf(key));
      expect(partitionOf('same key')).toBe(partitionOf('same key'));
      await consumer.stop();
      expect(held).toEqual([]);
    });

    it('answers ping while up and refuses to publish once closed', async () => {
      const bus = await setup();
      await expect(bus.ping()).resolves.toBeUndefined();
      await bus.close();
      await expect(bus.publish(unique('alerts'), [{ key: 'k', value: {} }])).rejects.toMatchObject({
        name: 'BusUnavailableError',
      });
      harness = { ...harness, dispose: async () => undefined };
    });
  });
}
