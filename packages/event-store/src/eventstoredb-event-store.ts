import { serialiseEvents } from './append-errors.ts';
import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  streamNameFilter,
  excludeSystemEvents,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { err, ok } from '@klaxon/domain';
import type { EventStore, ExpectedRevision, RecordedEvent, Subscription } from './event-store.ts';

const U64 = 1n << 64n;

/**
 * The port has one bigint position; EventStoreDB has a (commit, prepare) pair. Packing them as
 * commit·2⁶⁴ + prepare keeps the order of $all and gives the exact pair back.
 */
export const encodePosition = (p: Position): bigint => p.commit * U64 + p.prepare;
export const decodePosition = (n: bigint): Position => ({ commit: n / U64, prepare: n % U64 });

const toExpected = (expected: ExpectedRevision): AppendExpectedRevision =>
  expected === 'no_stream'
    ? NO_STREAM
    : expected === 'any'
      ? ANY
      : expected === 'stream_exists'
        ? STREAM_EXISTS
        : BigInt(expected);

const isSystem = (streamId: string) => streamId.startsWith('$');

function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const e = resolved.event;
  if (!e || !e.isJson || !e.position) return undefined;
  return {
    eventId: e.id,
    streamId: e.streamId,
    revision: Number(e.revision),
    position: encodePosition(e.position),
    type: e.type,
    data: e.data,
    metadata: (e.metadata ?? {}) as Record<string, unknown>,
    recordedAt: e.created.toISOString(),
  };
}

/** The part of @eventstore/db-client's client this adapter uses: tests here drive it without a server. */
export type EsdbClient = Pick<
  EventStoreDBClient,
  'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'
>;

interface Cancellable {
  readableEnded?: boolean;
  cancel(): Promise<void>;
}

/**
 * Reads a streaming call to its end, and cancels it whenever the loop leaves early (a throw): a gRPC read
 * left open holds a slot of the channel, and after about a hundred of them every call on it stalls.
 */
async function drain<T>(read: AsyncIterable<T> & Cancellable, each: (item: T) => void): Promise<void> {
  try {
    for await (const item of read) each(item);
  } finally {
    if (!read.readableEnded) await read.cancel().catch(() => undefined);
  }
}

export interface EventStoreDbOptions {
  /** First pause before resubscribing after the connection broke; doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** EventStoreDB (or KurrentDB) through @eventstore/db-client; `ESDB_CONNECTION_STRING`, e.g. esdb://host:2113?tls=false. */
export async function openEventStoreDbEventStore(
  connectionString: string,
  options: EventStoreDbOptions = {},
): Promise<EventStore> {
  return eventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString), options);
}

export function eventStoreDbEventStore(client: EsdbClient, options: EventStoreDbOptions = {}): EventStore {
  const subscriptions = new Set<Subscription>();
  const retryMs = options.retryMs ?? 1000;
  const maxRetryMs = options.maxRetryMs ?? 30_000;

  /** The newest position in $all: one event read backwards, on the server; no client-side scan. */
  const headPosition = async (): Promise<bigint | undefined> => {
    let head: bigint | undefined;
    await drain(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }), (resolved) => {
      if (resolved.event?.position) head = encodePosition(resolved.event.position);
    });
    return head;
  };

  const store: EventStore = {
    kind: 'eventstoredb',
    async append(streamId, events, expectedRevision) {
      if (events.length === 0) throw new Error('append needs at least one event');
      const unstorable = serialiseEvents(streamId, events);
      if (unstorable instanceof Error) throw unstorable;
      try {
        const result = await client.appendToStream(
          streamId,
          events.map((e) => jsonEvent({ type: e.type, data: e.data as JSONType, metadata: e.metadata })),
          { expectedRevision: toExpected(expectedRevision) },
        );
        return ok({
          nextExpectedRevision: Number(result.nextExpectedRevision),
          position: result.position ? encodePosition(result.position) : 0n,
        });
      } catch (error) {
        if (error instanceof StreamDeletedError)
          throw new Error(`stream ${streamId} was deleted in EventStoreDB: it cannot be appended to`, { cause: error });
        if (!(error instanceof WrongExpectedVersionError)) throw error;
        const actual = error.actualVersion;
        return err({
          code: 'WrongExpectedRevision',
          streamId,
          expected: expectedRevision,
          actual: actual === NO_STREAM || typeof actual !== 'bigint' ? 'no_stream' : Number(actual),
        });
      }
    },
    async readStream(streamId, fromRevision = 0) {
      const out: RecordedEvent[] = [];
      try {
        await drain(
          client.readStream(streamId, { direction: FORWARDS, fromRevision: BigInt(fromRevision) }),
          (resolved) => {
            const record = toRecorded(resolved);
            if (record) out.push(record);
          },
        );
      } catch (error) {
        // A deleted stream reads as none, as one never written: the port has no tombstones.
        if (error instanceof StreamNotFoundError || error instanceof StreamDeletedError) return [];
        throw error;
      }
      return out;
    },
    async readAll({ after, limit, streamPrefix }) {
      const out: RecordedEvent[] = [];
      // Pages of at most `limit` events, each read to its end (maxCount bounds it on the server), until
      // `limit` events pass the filters or the log ends. A read from a position includes the event at it;
      // the port's `after` excludes it.
      let from: Position | typeof START = after === undefined ? START : decodePosition(after);
      for (;;) {
        let read = 0;
        let last: bigint | undefined;
        await drain(client.readAll({ direction: FORWARDS, fromPosition: from, maxCount: limit + 1 }), (resolved) => {
          read++;
          const position = resolved.event?.position;
          if (position) last = encodePosition(position);
          const record = toRecorded(resolved);
          if (!record || isSystem(record.streamId) || (after !== undefined && record.position <= after)) return;
          if (streamPrefix && !record.streamId.startsWith(streamPrefix)) return;
          out.push(record);
        });
        if (out.length >= limit || read < limit + 1 || last === undefined) return out.slice(0, limit);
        // The page's last event is read again as the next page's first, and skipped there.
        from = decodePosition(last);
        after = last;
      }
    },
    headPosition,
    subscribe({ after, streamPrefix, onEvents, onError, onInterrupted, batchSize }) {
      let position = after;
      /** How far the server has looked, matching or not: filtered subscriptions say so with checkpoints. */
      let scanned = after;
      let stopped = false;
      let live = false;
      let caughtUpSeen = false;
      let current: ReturnType<EsdbClient['subscribeToAll']> | undefined;
      let wake: (() => void) | undefined;
      const waiters: Array<{ target: bigint | undefined; resolve: () => void }> = [];
      const settle = () => {
        for (let i = waiters.length - 1; i >= 0; i--) {
          const { target } = waiters[i]!;
          const reached =
            target === undefined ||
            live ||
            (scanned !== undefined && scanned >= target) ||
            (position !== undefined && position >= target);
          if (reached) waiters.splice(i, 1)[0]!.resolve();
        }
      };
      const filterOptions = {
        checkpointInterval: 1,
        checkpointReached: (_: unknown, p: Position) => void ((scanned = encodePosition(p)), settle()),
      };

      let failures = 0;
      const follow = async () => {
        const from = position;
        live = false;
        caughtUpSeen = false;
        const subscription = client.subscribeToAll({
          fromPosition: from === undefined ? START : decodePosition(from),
          filter: streamPrefix
            ? streamNameFilter({ prefixes: [streamPrefix], ...filterOptions })
            : excludeSystemEvents(filterOptions),
        });
        current = subscription;
        let batch: RecordedEvent[] = [];
        // The server says when the catch-up reached the end of $all (EventStoreDB 23.10 and later); what it
        // sent before is handled first.
        const liveOnceHandled = () => {
          if (caughtUpSeen && batch.length === 0 && subscription.readableLength === 0) live = true;
          settle();
        };
        subscription.on('caughtUp', () => ((caughtUpSeen = true), liveOnceHandled()));
        subscription.on('fellBehind', () => ((caughtUpSeen = false), (live = false)));
        for await (const resolved of subscription) {
          const record = toRecorded(resolved);
          if (!record || (from !== undefined && record.position <= from)) continue;
          batch.push(record);
          // Deliver at once when live; gather while catching up, up to the batch size.
          if (batch.length >= (batchSize ?? 500) || subscription.readableLength === 0) {
            try {
              await onEvents(batch);
            } catch (error) {
              throw Object.assign(new Error('the subscription handler failed'), { handlerError: error });
            }
            position = batch.at(-1)!.position;
            failures = 0;
            if (scanned === undefined || position > scanned) scanned = position;
            batch = [];
            liveOnceHandled();
          }
          if (stopped) break;
        }
      };

      // A broken connection (a server restart, UNAVAILABLE) is followed again from the last position,
      // with backoff; only a handler failure ends the subscription.
      const loop = (async () => {
        while (!stopped) {
          try {
            await follow();
            if (stopped) return;
            throw new Error('the EventStoreDB subscription ended');
          } catch (error) {
            if (stopped) return;
            const handlerError = (error as { handlerError?: unknown }).handlerError;
            if (handlerError !== undefined) {
              onError?.(handlerError);
              return;
            }
            const delay = Math.min(maxRetryMs, retryMs * 2 ** failures++);
            onInterrupted?.(error, delay);
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, delay);
              wake = () => (clearTimeout(timer), resolve());
            });
          }
        }
      })();

      const handle: Subscription = {
        get position() {
          return position;
        },
        async caughtUp() {
          const head = await headPosition();
          await new Promise<void>((resolve) => {
            waiters.push({ target: head, resolve });
            settle();
          });
        },
        async stop() {
          stopped = true;
          wake?.();
          await current?.unsubscribe().catch(() => undefined);
          await loop;
          for (const waiter of waiters.splice(0)) waiter.resolve();
          subscriptions.delete(handle);
        },
      };
      subscriptions.add(handle);
      return handle;
    },
    async ping() {
      await headPosition();
    },
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await client.dispose();
    },
  };
  return store;
}
