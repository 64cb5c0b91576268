import type { Result } from '@klaxon/domain';

/**
 * The revision a stream must be at for an append to go through: a number is the revision of its last
 * event (0 for the first), as in EventStoreDB.
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export interface NewEvent {
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent {
  eventId: string;
  streamId: string;
  revision: number;
  /** Position in the store's global order; strictly increasing in the order events became visible. */
  position: bigint;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  recordedAt: string;
}

export interface AppendResult {
  nextExpectedRevision: number;
  position: bigint;
}

export interface WrongExpectedRevision {
  code: 'WrongExpectedRevision';
  streamId: string;
  expected: ExpectedRevision;
  actual: number | 'no_stream';
}

export interface ReadAllOptions {
  /** Exclusive: only events after this position. Absent means from the start of history. */
  after?: bigint;
  limit: number;
  streamPrefix?: string;
}

export interface SubscribeOptions {
  after?: bigint;
  streamPrefix?: string;
  /** Called with events in global order, one batch at a time; the next batch waits for this to settle. */
  onEvents(events: RecordedEvent[]): Promise<void> | void;
  /** Called when the subscription stops on an error it cannot get past (the handler threw). */
  onError?(error: unknown): void;
  /**
   * Called when a read failed because the store could not be reached (a server restart, a connection cut,
   * UNAVAILABLE): the subscription resumes from its position by itself after `retryInMs`, backing off, and
   * reports each failed attempt here. It never stops for that.
   */
  onInterrupted?(error: unknown, retryInMs: number): void;
  batchSize?: number;
}

export interface Subscription {
  /** Position of the last event handed to the handler and settled. */
  readonly position: bigint | undefined;
  /** Resolves once everything appended before the call has been handled. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface EventStore {
  readonly kind: string;
  /**
   * Refused, rather than answered, with `UnstorableEvents` for events the store cannot keep (only that
   * append: the others of its group commit go on) and with `EventStoreUnavailable` when the store could not
   * be reached; every append settles either way.
   */
  append(
    streamId: string,
    events: NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<Result<AppendResult, WrongExpectedRevision>>;
  readStream(streamId: string, fromRevision?: number): Promise<RecordedEvent[]>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Catch-up, then live: every event after `after`, once each, in global order. */
  subscribe(options: SubscribeOptions): Subscription;
  /** Position of the newest event, for lag figures. */
  headPosition(): Promise<bigint | undefined>;
  /** Answers whether the store is reachable now, for /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function checkExpectedRevision(
  streamId: string,
  expected: ExpectedRevision,
  current: number | 'no_stream',
): WrongExpectedRevision | undefined {
  const fits =
    expected === 'any' ||
    (expected === 'no_stream' && current === 'no_stream') ||
    (expected === 'stream_exists' && current !== 'no_stream') ||
    expected === current;
  return fits ? undefined : { code: 'WrongExpectedRevision', streamId, expected, actual: current };
}
