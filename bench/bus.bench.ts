import { openEmbeddedBus, openKafkaBus, type Bus } from '@klaxon/bus';
import { startLocalKafka, tempDir } from '@klaxon/testing';
import { fmt, repeat, report } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const RECORDS = 20_000;
const BATCH = 50;
const SENDERS = 8;
const value = (i: number) => ({
  type: 'AlertReceived',
  version: 1,
  fingerprint: `f${i}`,
  groupKey: `{}:{alertname="A${i % 500}"}`,
  status: 'firing',
  labels: { alertname: `A${i % 500}` },
});

/** Publishes of 50 records from 8 concurrent senders, as ingest's requests make them; records/s once all resolved. */
async function publishPerSecond(bus: Bus, topic: string): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async () => {
      while (next < RECORDS) {
        const from = next;
        next += BATCH;
        await bus.publish(
          topic,
          Array.from({ length: BATCH }, (_, j) => ({ key: value(from + j).groupKey, value: value(from + j) })),
        );
      }
    }),
  );
  return RECORDS / ((performance.now() - start) / 1000);
}

/** A new group reading the topic's records through the port (handler does nothing); records/s. */
async function consumePerSecond(bus: Bus, topic: string, expected: number): Promise<number> {
  let seen = 0;
  let first = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const consumer = await bus.consume({
    topic,
    group: `bench-${Math.random().toString(36).slice(2, 8)}`,
    handle: async () => {
      if (seen++ === 0) first = performance.now();
      if (seen === expected) done();
    },
  });
  await all;
  const perSecond = (expected - 1) / ((performance.now() - first) / 1000);
  await consumer.stop();
  return perSecond;
}

async function bench(name: string, bus: Bus): Promise<void> {
  const topics: string[] = [];
  const publish = await repeat(RUNS, async () => {
    const topic = `bench-${Math.random().toString(36).slice(2, 8)}`;
    topics.push(topic);
    return publishPerSecond(bus, topic);
  });
  report(`${name}: publish (${BATCH}/publish, ${SENDERS} senders)`, publish, 'records/s');
  const consume = await repeat(RUNS, () => consumePerSecond(bus, topics.shift()!, RECORDS));
  report(`${name}: consume through the port (one group)`, consume, 'records/s');
}

/** `pnpm bench bus`: the bus port on the embedded log and on a real local Kafka broker, same load, same run. */
export async function busBench(): Promise<void> {
  console.log(`bus: ${fmt(RECORDS)} records per run, ${RUNS} runs each`);
  const dir = tempDir('klaxon-bench-bus-');
  const embedded = openEmbeddedBus(dir.file('bus.db'));
  await bench('embedded', embedded);
  await embedded.close();
  dir.remove();

  let kafka;
  try {
    kafka = await startLocalKafka();
  } catch (error) {
    console.log(`kafka: skipped (${(error as Error).message.split('\n')[0]})`);
    return;
  }
  console.log(
    `kafka: local KRaft broker (Apache Kafka 3.9, Maven) listening ${fmt(kafka.startMs)} ms after its JVM started`,
  );
  const bus = await openKafkaBus({
    brokers: kafka.brokers,
    partitions: 6,
    replicationFactor: 1,
    heartbeatIntervalMs: 1000,
  });
  try {
    await bench('kafka', bus);
  } finally {
    await bus.close();
    await kafka.stop();
  }
}
