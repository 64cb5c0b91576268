import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import { BusUnavailableError, type Bus, type BusConsumer, type ConsumeOptions } from './bus.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /** Partitions for topics Klaxon creates; records are spread over them by key. */
  partitions?: number;
  replicationFactor?: number;
  /** How long publish keeps trying before the caller is told the bus is unavailable. */
  publishTimeoutMs?: number;
}

const headersOf = (headers: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(headers ?? {}).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.map(String).join(',') : String(v)]])),
  );

/** Kafka through kafkajs: idempotent producer with acks from all in-sync replicas, consumer groups committing after handling. */
export async function openKafkaBus(options: KafkaBusOptions): Promise<Bus> {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'klaxon',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    retry: { retries: 5, maxRetryTime: 5000 },
  });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await admin.connect();
  await producer.connect();
  const consumers = new Set<BusConsumer>();
  const knownTopics = new Set<string>();

  const ensureTopic = async (topic: string) => {
    if (knownTopics.has(topic)) return;
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: options.partitions ?? 6, replicationFactor: options.replicationFactor ?? -1 }],
      });
    }
    knownTopics.add(topic);
  };

  return {
    kind: 'kafka',
    async publish(topic, records) {
      if (records.length === 0) return;
      const timeoutMs = options.publishTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          (async () => {
            await ensureTopic(topic);
            await producer.send({
              topic,
              acks: -1,
              messages: records.map((r) => ({ key: r.key, value: JSON.stringify(r.value), headers: r.headers })),
            });
          })(),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no acknowledgement within ${timeoutMs} ms`)), timeoutMs))),
        ]);
      } catch (error) {
        throw new BusUnavailableError(`Kafka did not accept the records: ${(error as Error).message}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
    async consume({ topic, group, handle, onHandlerError, onAssignment }: ConsumeOptions) {
      await ensureTopic(topic);
      const consumer: Consumer = kafka.consumer({ groupId: group });
      consumer.on(consumer.events.GROUP_JOIN, (event) => onAssignment?.([...(event.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)));
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic: t, partition, message }) => {
          const record = {
            topic: t,
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? '',
            value: JSON.parse(message.value?.toString() ?? 'null') as unknown,
            headers: headersOf(message.headers),
            publishedAt: new Date(Number(message.timestamp)).toISOString(),
          };
          try {
            await handle(record);
          } catch (error) {
            onHandlerError?.(error, record);
            // kafkajs seeks back to the uncommitted offset and offers the record again.
            throw error;
          }
          // Kafka's committed offset names the next record to read.
          await consumer.commitOffsets([{ topic: t, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        },
      });
      const handleOnBus: BusConsumer = {
        async stop() {
          await consumer.disconnect();
          consumers.delete(handleOnBus);
          onAssignment?.([]);
        },
      };
      consumers.add(handleOnBus);
      return handleOnBus;
    },
    async partitioner(topic) {
      await ensureTopic(topic);
      const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const partitionMetadata = metadata?.partitions ?? [];
      // The producer's own partitioner (murmur2 of the key, as Java clients do), so ownership matches placement.
      const choose = Partitioners.DefaultPartitioner();
      return (key) => choose({ topic, partitionMetadata, message: { key, value: null } });
    },
    async ping() {
      await admin.describeCluster();
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
