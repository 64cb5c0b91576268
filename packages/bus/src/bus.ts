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
  /** The offset is committed only after this settles; a throw means the record comes again. */
  handle(record: DeliveredRecord): Promise<void>;
  /** Told about a handler failure before the record is retried. */
  onHandlerError?(error: unknown, record: DeliveredRecord): void;
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
}

export interface Bus {
  readonly kind: string;
  /** Resolves only once the bus has durably accepted every record; throws BusUnavailableError otherwise. */
  publish(topic: string, records: BusRecord[]): Promise<void>;
  /** At-least-once delivery to one consumer per group and partition, offsets committed after handling. */
  consume(options: ConsumeOptions): Promise<BusConsumer>;
  /** The partition a key's records go to, as the producer chooses it. */
  partitioner(topic: string): Promise<(key: string) => number>;
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

export const ALERTS_TOPIC = 'klaxon.alerts';
