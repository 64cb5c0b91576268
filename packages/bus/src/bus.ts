export interface BusRecord {
  /** Records with the same key keep their order (one incident's alerts, keyed by group key). */
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

export interface DeliveredRecord {
  topic: string;
  partition: number;
  /** Opaque and increasing within a partition. */
  offset: string;
  key: string;
  value: unknown;
  headers: Record<string, string>;
  publishedAt: string;
}

export interface ConsumeOptions {
  topic: string;
  group: string;
  /**
   * The offset is committed only after this settles; a throw means the record comes again. Records of one
   * key are handled one at a time, in order; records of different keys may be handled side by side.
   */
  handle(record: DeliveredRecord): Promise<void>;
  /**
   * Optional, for a handler that does better with many records at once (one decision and one write for
   * what would be many): records of one key that came in one batch, in order, with the promise `handle`
   * makes for one: their offsets are committed after it settles, and a throw means they all come again.
   * When it throws UnprocessableRecordError, the records are handled one by one with `handle`, so only the
   * one at fault goes to the dead-letter topic. The embedded log passes a key's records of a batch; Kafka,
   * whose partitions keep one order for all their keys, passes runs of consecutive records of one key.
   */
  handleRun?(records: DeliveredRecord[]): Promise<void>;
  /** Told about a handler failure before the record is retried. */
  onHandlerError?(error: unknown, record: DeliveredRecord): void;
  /**
   * Told once a record was moved to the dead-letter topic: its handler threw UnprocessableRecordError,
   * (Kafka) its value is not JSON, or its handler failed the same way `deadLetterAfter` times in a row (a
   * poison record). Consumption goes on past it. `attempts` counts the handler's failures on it.
   */
  onDeadLetter?(record: DeliveredRecord, reason: string, attempts: number): void;
  /**
   * Failures of one kind in a row (the same error name and message, numbers aside) after which a record is
   * taken for poison and moved to the dead-letter topic, so that it cannot hold up the records behind it.
   * Default DEAD_LETTER_AFTER.
   */
  deadLetterAfter?: number;
  /**
   * Asked after a handler failed: true when what failed is a dependency of every record (the event store
   * unreachable), not this record. Such a failure is an outage: the record is retried for as long as it
   * lasts and never dead-lettered for it. A check that throws counts as true.
   */
  dependencyDown?(error: unknown): Promise<boolean>;
  /** Told when reading records or committing an offset failed; the consumer backs off and goes on. */
  onError?(error: unknown): void;
  /**
   * Told which partitions of the topic this consumer holds, whenever that changes (a rebalance, a stop).
   * What belongs to a partition (an incident's timers and pages) is this consumer's job while it holds it.
   */
  onAssignment?(partitions: number[]): void;
}

export interface BusConsumer {
  /** Stops taking records, lets the one in hand finish and commit. */
  stop(): Promise<void>;
  /**
   * Whether this consumer is taking records and can vouch for the partitions it was last told it holds.
   * False after a crash not yet recovered, or while no heartbeat reached the group within its session
   * (a process frozen past the session timeout): the group may have given its partitions to another
   * instance, so nothing of theirs may be acted on until the group confirms the assignment again.
   */
  current(): boolean;
  /**
   * Since when (epoch ms) this consumer has had records in hand without getting past any of them: a
   * handler that does not return, or a record retried through an outage. Undefined while nothing waits on
   * it (caught up, or moving). The time since is how long the consumer has been stuck with work waiting.
   */
  stuckSince(): number | undefined;
}

export interface Bus {
  readonly kind: string;
  /** Resolves only once the bus has durably accepted every record; throws BusUnavailableError otherwise. */
  publish(topic: string, records: BusRecord[]): Promise<void>;
  /** At-least-once delivery to one consumer per group and partition, offsets committed after handling. */
  consume(options: ConsumeOptions): Promise<BusConsumer>;
  /** The partition a key's records go to, as the producer chooses it. */
  partitioner(topic: string): Promise<(key: string) => number>;
  /** The newest `limit` records of a topic's dead-letter topic, oldest first, for people to read. */
  deadLetters(topic: string, limit: number): Promise<DeliveredRecord[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The bus could not take the records; the caller should answer 503 and let the sender retry. */
export class BusUnavailableError extends Error {
  override readonly name = 'BusUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown by a handler for a record that can never be handled (a value that is not alerts): the bus
 * moves it to the topic's dead-letter topic at once instead of offering it again forever. A handler that
 * cannot tell gets there too, after failing the same way `deadLetterAfter` times.
 */
export class UnprocessableRecordError extends Error {
  override readonly name = 'UnprocessableRecordError';
}

export const ALERTS_TOPIC = 'klaxon.alerts';

/** Where records that cannot be handled go, with headers saying why and where they came from. */
export const deadLetterTopicOf = (topic: string): string => `${topic}.dead-letter`;

/** Headers a dead-lettered record carries beside its own. */
export const deadLetterHeaders = (
  record: DeliveredRecord,
  reason: string,
  attempts: number,
): Record<string, string> => ({
  ...record.headers,
  'klaxon-dead-letter-reason': reason,
  'klaxon-dead-letter-attempts': String(attempts),
  'klaxon-original-topic': record.topic,
  'klaxon-original-partition': String(record.partition),
  'klaxon-original-offset': record.offset,
});
