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
  expected === 'no_stream' ? NO_STREAM : expected === 'any' ? ANY : expected === 'stream_exists' ? STREAM_EXISTS : BigInt(expected);

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

/** EventStoreDB (or KurrentDB) through @eventstore/db-client; `ESDB_CONNECTION_STRING`, e.g. esdb://host:2113?tls=false. */
export async function openEventStoreDbEventStore(connectionString: string): Promise<EventStore> {
  const client = EventStoreDBClient.connectionString(connectionString);
  const subscriptions = new Set<Subscription>();

  const lastPosition = async (streamPrefix?: string): Promise<bigint | undefined> => {
    for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 10_000 })) {
      const e = resolved.event;
      if (!e || isSystem(e.streamId) || (streamPrefix && !e.streamId.startsWith(streamPrefix))) continue;
      return e.position ? encodePosition(e.position) : undefined;
    }
    return undefined;
  };

  const store: EventStore = {
    kind: 'eventstoredb',
    async append(streamId, events, expectedRevision) {
      if (events.length === 0) throw new Error('append needs at least one event');
      try {
        const result = await client.appendToStream(
          streamId,
          events.map((e) => jsonEvent({ type: e.type, data: e.data as JSONType, metadata: e.metadata })),
          { expectedRevision: toExpected(expectedRevision) },
        );
        return ok({ nextExpectedRevision: Number(result.nextExpectedRevision), position: result.position ? encodePosition(result.position) : 0n });
      } catch (error) {
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
        for await (const resolved of client.readStream(streamId, { direction: FORWARDS, fromRevision: BigInt(fromRevision) })) {
          const record = toRecorded(resolved);
          if (record) out.push(record);
        }
      } catch (error) {
        if (error instanceof StreamNotFoundError) return [];
        throw error;
      }
      return out;
    },
    async readAll({ after, limit, streamPrefix }) {
      const out: RecordedEvent[] = [];
      // A read from a position includes the event at it; the port's `after` excludes it.
      const stream = client.readAll({ direction: FORWARDS, fromPosition: after === undefined ? START : decodePosition(after) });
      for await (const resolved of stream) {
        const record = toRecorded(resolved);
        if (!record || isSystem(record.streamId) || (after !== undefined && record.position <= after)) continue;
        if (streamPrefix && !record.streamId.startsWith(streamPrefix)) continue;
        out.push(record);
        if (out.length >= limit) break;
      }
      return out;
    },
    headPosition: () => lastPosition(),
    subscribe({ after, streamPrefix, onEvents, onError, batchSize }) {
      const subscription = client.subscribeToAll({
        fromPosition: after === undefined ? START : decodePosition(after),
        filter: streamPrefix ? streamNameFilter({ prefixes: [streamPrefix] }) : excludeSystemEvents(),
      });
      let position = after;
      let stopped = false;
      const waiters: Array<{ target: bigint; resolve: () => void }> = [];
      const settle = () => {
        for (let i = waiters.length - 1; i >= 0; i--) {
          if (position !== undefined && position >= waiters[i]!.target) waiters.splice(i, 1)[0]!.resolve();
        }
      };
      const loop = (async () => {
        let batch: RecordedEvent[] = [];
        for await (const resolved of subscription) {
          const record = toRecorded(resolved);
          if (!record || (after !== undefined && record.position <= after)) continue;
          batch.push(record);
          // Deliver at once when live; gather while catching up, up to the batch size.
          if (batch.length >= (batchSize ?? 500) || subscription.readableLength === 0) {
            await onEvents(batch);
            position = batch.at(-1)!.position;
            batch = [];
            settle();
          }
          if (stopped) break;
        }
      })().catch((error: unknown) => {
        if (!stopped) onError?.(error);
      });
      const handle: Subscription = {
        get position() {
          return position;
        },
        async caughtUp() {
          const head = await lastPosition(streamPrefix);
          if (head === undefined || (position !== undefined && position >= head)) return;
          await new Promise<void>((resolve) => waiters.push({ target: head, resolve }));
        },
        async stop() {
          stopped = true;
          await subscription.unsubscribe();
          await loop;
          for (const waiter of waiters.splice(0)) waiter.resolve();
          subscriptions.delete(handle);
        },
      };
      subscriptions.add(handle);
      return handle;
    },
    async ping() {
      await lastPosition();
    },
    async close() {
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await client.dispose();
    },
  };
  return store;
}
