import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type LogEntry,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import { BusUnavailableError, type Bus, type BusConsumer, type ConsumeOptions } from './bus.ts';
import { startGroupConsumer } from './kafka-consumer.ts';
import { groupedSender } from './kafka-grouped-sender.ts';
import { readDeadLetters } from './kafka-dead-letters.ts';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /**
   * Partitions for topics Klaxon creates; records are spread over them by key. A consumer handles up to this
   * many partitions' batches of one fetch side by side.
   */
  partitions?: number;
  replicationFactor?: number;
  /**
   * About how long publish keeps trying before the caller is told the bus is unavailable (503). The bound is
   * kafkajs's own (request timeout and retries), so a send refused to the caller is not still running.
   */
  publishTimeoutMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Where a consumer group with no committed offset starts: this far back in the log. Default 1 h. */
  newGroupLookbackMs?: number;
  /** How often partition counts are read again for placement (also at every group join). Default 60 s. */
  metadataRefreshMs?: number;
  retryDelayMs?: number;
  /** Where kafkajs's own log lines go (pino's child loggers fit); without it, to stderr as kafkajs prints them. */
  logger?: BusLogger;
}

/** The part of a pino logger the bus writes to. */
export interface BusLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/**
 * kafkajs's lines into the service's log, with kafkajs's fields beside the message. kafkajs says ERROR for
 * every retriable broker answer (a rebalance in progress, a coordinator still loading) that it then handles
 * itself: those are warnings here. What it cannot handle reaches Klaxon's code as an error (a refused
 * publish, a consumer crash) and is logged there at error level.
 */
const kafkajsLogs =
  (logger: BusLogger) =>
  () =>
  ({ level, log }: LogEntry) => {
    const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
    const write = level <= logLevel.WARN ? logger.warn : level === logLevel.INFO ? logger.info : logger.debug;
    write.call(logger, { library: 'kafkajs', kafkajsLevel: logLevel[level], ...fields }, message);
  };

/**
 * Bytes of values one produce request carries at most. The broker refuses a record batch over its
 * `message.max.bytes` (1 MB by default) for good, and kafkajs puts all of a request's records for one
 * partition in one batch: one group's big notification, under one key, would be refused at every retry.
 */
const MAX_REQUEST_BYTES = 512 * 1024;

/** Consecutive slices of the messages, each under `bytes` of values unless one message alone is over it. */
function inRequestsOfAtMost<M extends { value: string }>(bytes: number, messages: M[]): M[][] {
  const requests: M[][] = [];
  let size = Infinity;
  for (const m of messages) {
    if (size + m.value.length > bytes) {
      requests.push([]);
      size = 0;
    }
    requests.at(-1)!.push(m);
    size += m.value.length;
  }
  return requests;
}

/** Kafka through kafkajs: acks from all in-sync replicas, consumer groups committing after handling. */
export async function openKafkaBus(options: KafkaBusOptions): Promise<Bus> {
  const publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
  // Four attempts within the budget: each request may take a quarter of it, and the pauses between are short.
  const requestTimeout = Math.max(1000, Math.floor(publishTimeoutMs / 5));
  const kafka = new Kafka({
    clientId: options.clientId ?? 'klaxon',
    brokers: options.brokers,
    logLevel: logLevel.WARN,
    ...(options.logger ? { logCreator: kafkajsLogs(options.logger) } : {}),
    connectionTimeout: Math.min(3000, requestTimeout),
    requestTimeout,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: Math.max(500, Math.floor(publishTimeoutMs / 10)) },
  });
  const admin: Admin = kafka.admin();
  // Not kafkajs's idempotent producer: it needs unbounded retries for its guarantee, and a publish must end
  // within the budget so that a 503 is never followed by a late write. One request in flight keeps each
  // key's order across retries; a record written twice after a lost acknowledgement is handled idempotently.
  const producer: Producer = kafka.producer({
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await admin.connect();
  await producer.connect();
  const consumers = new Set<BusConsumer>();
  const knownTopics = new Set<string>();
  const placement = new Map<string, PartitionMetadata[]>();
  let closed = false;

  const ensureTopic = async (topic: string) => {
    if (knownTopics.has(topic)) return;
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin
        .createTopics({
          waitForLeaders: true,
          topics: [
            { topic, numPartitions: options.partitions ?? 6, replicationFactor: options.replicationFactor ?? -1 },
          ],
        })
        .catch((error: unknown) => {
          if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
        });
    }
    knownTopics.add(topic);
  };

  const groupSend = groupedSender(async (topic, messages) => {
    await ensureTopic(topic);
    for (const part of inRequestsOfAtMost(MAX_REQUEST_BYTES, messages))
      await producer.send({ topic, acks: -1, timeout: requestTimeout, messages: part });
  });

  const refreshPlacement = async () => {
    if (closed || placement.size === 0) return;
    const { topics } = await admin.fetchTopicMetadata({ topics: [...placement.keys()] });
    for (const t of topics) placement.set(t.name, t.partitions);
  };
  const refresher = setInterval(
    () => void refreshPlacement().catch(() => undefined),
    options.metadataRefreshMs ?? 60_000,
  );
  refresher.unref();

  return {
    kind: 'kafka',
    publish(topic, records) {
      if (records.length === 0) return Promise.resolve();
      if (closed) return Promise.reject(new BusUnavailableError('the Kafka bus is closed'));
      const messages = records.map((r) => ({ key: r.key, value: JSON.stringify(r.value), headers: r.headers }));
      return groupSend(topic, messages).catch((error: unknown) => {
        throw new BusUnavailableError(`Kafka did not accept the records: ${(error as Error).message}`, {
          cause: error,
        });
      });
    },
    async consume(consumeOptions: ConsumeOptions) {
      const consumer = await startGroupConsumer(consumeOptions, {
        kafka,
        admin,
        producer,
        sessionTimeoutMs: options.sessionTimeoutMs ?? 30_000,
        heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3000,
        newGroupLookbackMs: options.newGroupLookbackMs ?? 3_600_000,
        retryDelayMs: options.retryDelayMs ?? 1000,
        partitionsConcurrently: options.partitions ?? 6,
        ensureTopic,
        // A rebalance follows added partitions: placement must follow before ownership is decided on it.
        onGroupJoin: () => void refreshPlacement().catch(() => undefined),
      });
      const handle: BusConsumer = {
        current: () => consumer.current(),
        stuckSince: () => consumer.stuckSince(),
        async stop() {
          await consumer.stop();
          consumers.delete(handle);
        },
      };
      consumers.add(handle);
      return handle;
    },
    async partitioner(topic) {
      await ensureTopic(topic);
      if (!placement.has(topic)) placement.set(topic, []);
      await refreshPlacement();
      // The producer's own partitioner (murmur2 of the key, as Java clients do), so ownership matches placement.
      const choose = Partitioners.DefaultPartitioner();
      return (key) => choose({ topic, partitionMetadata: placement.get(topic) ?? [], message: { key, value: null } });
    },
    deadLetters: (topic, limit) => readDeadLetters(kafka, admin, topic, limit),
    async ping() {
      if (closed) throw new BusUnavailableError('the Kafka bus is closed');
      await admin.describeCluster();
    },
    async close() {
      closed = true;
      clearInterval(refresher);
      await Promise.all([...consumers].map((c) => c.stop()));
      await producer.disconnect();
      await admin.disconnect();
    },
  };
}
