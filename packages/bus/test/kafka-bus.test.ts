import { afterAll, describe, expect, it } from 'vitest';
import { kafkaForTests, type KafkaForTests } from '@klaxon/testing';
import { Kafka, logLevel } from 'kafkajs';
import { deadLetterTopicOf, openKafkaBus } from '../src/index.ts';
import { busContract } from './contract/bus-contract.ts';
import { runRecorder } from './contract/run-recorder.ts';

const kafka = await kafkaForTests('Kafka bus suites (a real broker in KRaft mode)');

afterAll(async () => kafka?.stop());
/** Short fetch waits and heartbeats, so that consumers stop and rejoin quickly in tests. */
const quick = { heartbeatIntervalMs: 1000, sessionTimeoutMs: 10_000 };

describe.runIf(kafka)(`Kafka (${kafka?.via})`, () => {
  const { brokers } = kafka as KafkaForTests;

  busContract(
    'Kafka (kafkajs)',
    async () => {
      const open = () =>
        openKafkaBus({
          brokers,
          partitions: 3,
          replicationFactor: 1,
          publishTimeoutMs: 5000,
          retryDelayMs: 100,
          ...quick,
        });
      let bus = await open();
      return {
        bus,
        async reopen() {
          await bus.close();
          bus = await open();
          return bus;
        },
        async dispose() {
          await bus.close().catch(() => undefined);
        },
      };
    },
    60_000,
  );

  it(
    'splits the partitions between two consumers of one group, and hands them all to the survivor when one stops',
    { timeout: 120_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 4, replicationFactor: 1, ...quick });
      const topic = `alerts-${Math.random().toString(36).slice(2, 8)}`;
      const held: Record<'a' | 'b', number[]> = { a: [], b: [] };
      const a = await bus.consume({
        topic,
        group: 'escalation',
        handle: async () => undefined,
        onAssignment: (p) => (held.a = p),
      });
      const b = await bus.consume({
        topic,
        group: 'escalation',
        handle: async () => undefined,
        onAssignment: (p) => (held.b = p),
      });
      const settled = async (check: () => boolean) => {
        const deadline = Date.now() + 60_000;
        while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      };
      await settled(() => held.a.length > 0 && held.b.length > 0 && held.a.length + held.b.length === 4);
      expect([...held.a, ...held.b].sort()).toEqual([0, 1, 2, 3]);
      await a.stop();
      await settled(() => held.b.length === 4);
      expect(held.b).toEqual([0, 1, 2, 3]);
      await b.stop();
      await bus.close();
    },
  );
});

describe.runIf(kafka)('Kafka faults a real broker shows', () => {
  const { brokers } = kafka as KafkaForTests;
  const unique = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}`;
  const until = async (check: () => boolean, what: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const rawProducer = async () => {
    const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    return producer;
  };

  it(
    'moves a record that is not JSON to the dead-letter topic and goes on (it used to stop the consumer for good)',
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 1, replicationFactor: 1, ...quick });
      const topic = unique('alerts');
      await bus.publish(topic, [{ key: 'k', value: { n: 1 } }]);
      const producer = await rawProducer();
      await producer.send({ topic, messages: [{ key: 'k', value: '{"n": 2' }] });
      await producer.disconnect();
      await bus.publish(topic, [{ key: 'k', value: { n: 3 } }]);
      const seen: number[] = [];
      const dead: string[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => void seen.push((r.value as { n: number }).n),
        onDeadLetter: (r, reason) => dead.push(`${r.offset} ${reason}`),
      });
      await until(() => seen.length === 2, 'the records around the bad one');
      expect(seen).toEqual([1, 3]);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatch(/^1 value is not JSON/);
      // Read as it lies in the dead-letter topic, bytes as they came, with a plain kafkajs consumer.
      const letters: { value: string; headers: Record<string, string> }[] = [];
      const reader = new Kafka({ brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: unique('dlq') });
      await reader.connect();
      await reader.subscribe({ topics: [deadLetterTopicOf(topic)], fromBeginning: true });
      await reader.run({
        eachMessage: async ({ message }) =>
          void letters.push({
            value: String(message.value),
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          }),
      });
      await until(() => letters.length === 1, 'the dead letter');
      expect(letters[0]!.value).toBe('{"n": 2');
      expect(letters[0]!.headers).toMatchObject({
        'klaxon-original-offset': '1',
        'klaxon-dead-letter-reason': expect.stringMatching(/^value is not JSON/),
      });
      await Promise.all([consumer.stop(), reader.disconnect()]);
      await bus.close();
    },
  );

  it(
    "hands a handler that takes runs each run of one key's consecutive records at once; a run that throws comes again whole; one with an unprocessable record goes one by one",
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 1, replicationFactor: 1, ...quick });
      const topic = unique('alerts');
      // As ingest publishes an Alertmanager notification: one group's alerts together, under its key.
      await bus.publish(
        topic,
        ['a0', 'a1', 'a2'].map((value) => ({ key: 'a', value })),
      );
      await bus.publish(
        topic,
        ['b0', 'b1'].map((value) => ({ key: 'b', value })),
      );
      await bus.publish(
        topic,
        ['c0', 'bad', 'c2'].map((value) => ({ key: 'c', value })),
      );
      await bus.publish(topic, [{ key: 'a', value: 'a3' }]);
      const { runs, one, handleRun, handle } = runRecorder('b0');
      const dead: string[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handleRun,
        handle,
        onDeadLetter: (r) => dead.push(r.value as string),
      });
      await until(
        () => one.includes('a3') && dead.length === 1 && runs.filter((run) => run[0] === 'b0').length === 2,
        'every record handled',
      );
      await consumer.stop();
      await bus.close();
      // The keys of a batch go side by side: each key's runs keep their order, not the keys between them.
      const of = (key: string) => runs.filter((run) => run[0]!.startsWith(key));
      expect(runs).toHaveLength(4);
      expect(of('a')).toEqual([['a0', 'a1', 'a2']]);
      expect(of('b')).toEqual([
        ['b0', 'b1'],
        ['b0', 'b1'],
      ]);
      expect(of('c')).toEqual([['c0', 'bad', 'c2']]);
      // The run with the unprocessable record, one by one; a lone record goes to `handle` as always.
      expect(one.filter((v) => v.startsWith('c'))).toEqual(['c0', 'c2']);
      expect(one.filter((v) => v.startsWith('a'))).toEqual(['a3']);
      expect(dead).toEqual(['bad']);
    },
  );

  it(
    "goes on with a partition's other keys while one key's record is in hand, and commits past both only once both are handled",
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 1, replicationFactor: 1, ...quick });
      const topic = unique('alerts');
      const group = unique('g');
      // Given a storm's record and a new group's record behind it in one partition
      await bus.publish(topic, [
        { key: 'storm', value: 'storm-1' },
        { key: 'new-group', value: 'new-1' },
      ]);
      const seen: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const consumer = await bus.consume({
        topic,
        group,
        handle: async (r) => {
          if (r.value === 'storm-1') await gate;
          seen.push(r.value as string);
        },
      });
      // When the storm's record is slow to handle
      // Then the new group's record is handled meanwhile
      await until(() => seen.includes('new-1'), "the new group's record");
      expect(seen).toEqual(['new-1']);
      release();
      await until(() => seen.length === 2, "the storm's record");
      await consumer.stop();
      // And the group's offset is past both: taken up again, the group gets only what comes after them
      await bus.publish(topic, [{ key: 'later', value: 'later-1' }]);
      const again: string[] = [];
      const after = await bus.consume({ topic, group, handle: async (r) => void again.push(r.value as string) });
      await until(() => again.length > 0, 'the record published after');
      await after.stop();
      await bus.close();
      expect(again).toEqual(['later-1']);
    },
  );

  it(
    "handles partitions side by side: one partition's slow record does not hold up another partition's",
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 2, replicationFactor: 1, ...quick });
      const topic = unique('alerts');
      const group = unique('g');
      const partitionOf = await bus.partitioner(topic);
      const keys = Array.from({ length: 50 }, (_, i) => `group-${i}`);
      const storm = keys.find((k) => partitionOf(k) === 0)!;
      const fresh = keys.find((k) => partitionOf(k) === 1)!;
      // Given a storm's record on one partition and a new group's record on the other
      await bus.publish(topic, [
        { key: storm, value: 'storm-1' },
        { key: fresh, value: 'new-1' },
      ]);
      const started = new Map<string, () => void>();
      const startedOf = (value: string) => new Promise<void>((resolve) => started.set(value, resolve));
      const both = { 'storm-1': startedOf('new-1'), 'new-1': startedOf('storm-1') };
      const seen: string[] = [];
      const consumer = await bus.consume({
        topic,
        group,
        handle: async (r) => {
          // Each record's handling waits until the other's has begun: one partition after the other, the
          // first would wait for ever, whichever it is.
          const value = r.value as 'storm-1' | 'new-1';
          started.get(value)!();
          await both[value];
          seen.push(value);
        },
      });
      // When both come in one fetch, then both are in hand at once
      await until(() => seen.length === 2, 'both records');
      expect(seen.sort()).toEqual(['new-1', 'storm-1']);
      await consumer.stop();
      // And both partitions' offsets were committed: taken up again, the group gets only what comes after
      await bus.publish(topic, [
        { key: storm, value: 'later-1' },
        { key: fresh, value: 'later-2' },
      ]);
      const again: string[] = [];
      const after = await bus.consume({ topic, group, handle: async (r) => void again.push(r.value as string) });
      await until(() => again.length === 2, 'the records published after');
      await after.stop();
      await bus.close();
      expect(again.sort()).toEqual(['later-1', 'later-2']);
    },
  );

  it(
    'goes on after a handler throws a TypeError (kafkajs alone would not restart the consumer)',
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 1, replicationFactor: 1, retryDelayMs: 100, ...quick });
      const topic = unique('alerts');
      await bus.publish(
        topic,
        [1, 2].map((n) => ({ key: 'k', value: { n } })),
      );
      const attempts: number[] = [];
      let failures = 2;
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          const n = (r.value as { n: number }).n;
          attempts.push(n);
          if (n === 1 && failures-- > 0) (undefined as unknown as { x(): void }).x();
        },
      });
      await until(() => attempts.includes(2), 'the second record');
      expect(attempts).toEqual([1, 1, 1, 2]);
      expect(consumer.current()).toBe(true);
      await bus.publish(topic, [{ key: 'k', value: { n: 3 } }]);
      await until(() => attempts.includes(3), 'a record published after the failures');
      await consumer.stop();
      await bus.close();
    },
  );

  it(
    'starts a new group an hour back, not at the beginning: old firing alerts do not come again',
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({ brokers, partitions: 1, replicationFactor: 1, ...quick });
      const topic = unique('alerts');
      await bus.partitioner(topic); // creates the topic
      const producer = await rawProducer();
      const twoHoursAgo = String(Date.now() - 2 * 3_600_000);
      await producer.send({
        topic,
        messages: [{ key: 'old', value: JSON.stringify({ n: -1 }), timestamp: twoHoursAgo }],
      });
      await producer.disconnect();
      await bus.publish(
        topic,
        [0, 1].map((n) => ({ key: 'new', value: { n } })),
      );
      const seen: number[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => void seen.push((r.value as { n: number }).n),
      });
      await until(() => seen.length === 2, 'the recent records');
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen.sort()).toEqual([0, 1]);
      await consumer.stop();
      await bus.close();
    },
  );

  it('places keys over partitions added after start, as the producer does', { timeout: 90_000 }, async () => {
    const bus = await openKafkaBus({ brokers, partitions: 1, replicationFactor: 1, metadataRefreshMs: 200, ...quick });
    const topic = unique('alerts');
    const partitionOf = await bus.partitioner(topic);
    const keys = Array.from({ length: 50 }, (_, i) => `group-${i}`);
    expect(new Set(keys.map(partitionOf))).toEqual(new Set([0]));
    const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
    await until(() => new Set(keys.map(partitionOf)).size === 4, 'placement over four partitions', 10_000);
    // Where the producer actually wrote each key is where the partitioner says.
    await bus.publish(
      topic,
      keys.map((key) => ({ key, value: {} })),
    );
    const where = new Map<string, number>();
    const consumer = await bus.consume({
      topic,
      group: unique('g'),
      handle: async (r) => void where.set(r.key, r.partition),
    });
    await until(() => where.size === keys.length, 'every key');
    for (const key of keys) expect(where.get(key), key).toBe(partitionOf(key));
    await consumer.stop();
    await admin.disconnect();
    await bus.close();
  });

  it(
    'keeps its membership through a handler slower than the session timeout: the record is handled once',
    { timeout: 90_000 },
    async () => {
      const bus = await openKafkaBus({
        brokers,
        partitions: 1,
        replicationFactor: 1,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 1000,
      });
      const topic = unique('alerts');
      await bus.publish(
        topic,
        [1, 2].map((n) => ({ key: 'k', value: { n } })),
      );
      const handled: number[] = [];
      const errors: unknown[] = [];
      const consumer = await bus.consume({
        topic,
        group: unique('g'),
        handle: async (r) => {
          const n = (r.value as { n: number }).n;
          // Nine seconds on one record, past the six-second session: without heartbeats meanwhile the
          // broker drops the member, the commit fails, and the record comes again.
          if (n === 1) await new Promise((resolve) => setTimeout(resolve, 9000));
          handled.push(n);
        },
        onError: (error) => errors.push(error),
      });
      await until(() => handled.includes(2), 'the second record', 60_000);
      await new Promise((r) => setTimeout(r, 2000));
      expect(handled).toEqual([1, 2]);
      expect(errors).toEqual([]);
      await consumer.stop();
      await bus.close();
    },
  );
});
