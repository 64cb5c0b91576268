import { EventEmitter } from 'node:events';
import { resolve as absolutePath } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { openSqliteFile } from '@klaxon/sqlite';
import {
  BusUnavailableError,
  deadLetterHeaders,
  deadLetterTopicOf,
  UnprocessableRecordError,
  type Bus,
  type BusConsumer,
  type BusRecord,
  type ConsumeOptions,
  type DeliveredRecord,
} from './bus.ts';
import { DEAD_LETTER_AFTER, poisonReason, tallyFailure, type FailureTally } from './poison.ts';

interface Row {
  offset: bigint;
  topic: string;
  key: string;
  value: string;
  headers: string | null;
  published_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  offset       INTEGER PRIMARY KEY AUTOINCREMENT,
  topic        TEXT NOT NULL,
  key          TEXT NOT NULL,
  value        TEXT NOT NULL,
  headers      TEXT,
  published_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_topic ON records (topic, offset);
CREATE TABLE IF NOT EXISTS consumer_offsets (
  grp    TEXT NOT NULL,
  topic  TEXT NOT NULL,
  offset INTEGER NOT NULL,
  PRIMARY KEY (grp, topic)
);`;

/** Records handled between two offset commits. */
const BATCH_SIZE = 100;

interface PendingPublish {
  topic: string;
  records: BusRecord[];
  resolve(): void;
  reject(error: Error): void;
}

export interface EmbeddedBusOptions {
  pollMs?: number;
  /** Pause before a record whose handler threw is offered again. */
  retryDelayMs?: number;
}

/**
 * The embedded default: a durable log in one SQLite file. One partition per topic, so every record keeps
 * its order; one consumer per group (the embedded deployment runs one escalation instance).
 */
export function openEmbeddedBus(file: string, options: EmbeddedBusOptions = {}): Bus {
  // 202 means durably accepted: the log is fsynced before publish resolves.
  const db = openSqliteFile(file, { synchronous: 'FULL', safeIntegers: true });
  db.exec(SCHEMA);

  const published = new EventEmitter();
  published.setMaxListeners(0);
  // Consumers of the same file in other threads of this process hear of new records at once too (`pnpm
  // start` runs ingest and escalation in threads of their own); other processes notice at their next poll.
  const otherThreads = new BroadcastChannel(`klaxon-embedded-bus:${absolutePath(file)}`);
  otherThreads.unref();
  otherThreads.onmessage = () => published.emit('published');
  const insert = db.prepare('INSERT INTO records (topic, key, value, headers, published_at) VALUES (?, ?, ?, ?, ?)');
  const publishTx = db.transaction((batch: PendingPublish[]) => {
    const now = new Date().toISOString();
    for (const { topic, records } of batch) {
      for (const r of records)
        insert.run(topic, r.key, JSON.stringify(r.value), r.headers ? JSON.stringify(r.headers) : null, now);
    }
  });
  let pending: PendingPublish[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    try {
      publishTx.immediate(batch);
    } catch (error) {
      const refusal = new BusUnavailableError(`embedded log refused the records: ${(error as Error).message}`, {
        cause: error,
      });
      for (const p of batch) p.reject(refusal);
      return;
    }
    for (const p of batch) p.resolve();
    published.emit('published');
    otherThreads.postMessage(null);
  };
  const committed = db.prepare<[string, string], { offset: bigint }>(
    'SELECT offset FROM consumer_offsets WHERE grp = ? AND topic = ?',
  );
  const commit = db.prepare(
    'INSERT INTO consumer_offsets (grp, topic, offset) VALUES (?, ?, ?) ON CONFLICT (grp, topic) DO UPDATE SET offset = excluded.offset',
  );
  const next = db.prepare<[string, bigint, number], Row>(
    'SELECT * FROM records WHERE topic = ? AND offset > ? ORDER BY offset LIMIT ?',
  );
  const newest = db.prepare<[string, number], Row>(
    'SELECT * FROM records WHERE topic = ? ORDER BY offset DESC LIMIT ?',
  );
  const pollMs = options.pollMs ?? 200;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const consumers = new Set<BusConsumer>();
  let closed = false;

  const toDelivered = (r: Row): DeliveredRecord => ({
    topic: r.topic,
    partition: 0,
    offset: r.offset.toString(),
    key: r.key,
    value: JSON.parse(r.value) as unknown,
    headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : {},
    publishedAt: r.published_at,
  });
  // Until a publish of this instance, `ms` passing, or the consumer stopping. A plain timer, not
  // AbortSignal.any([…, AbortSignal.timeout(ms)]): on Node 20 the timeout signal inside `any` can be garbage
  // collected before it fires, and a consumer fed only by other processes or threads (pnpm start's ingest
  // publishes from the main thread) then slept for good.
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        published.off('published', wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      published.on('published', wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  const pause = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });

  return {
    kind: 'embedded',
    publish(topic, records) {
      if (records.length === 0) return Promise.resolve();
      if (closed) return Promise.reject(new BusUnavailableError('embedded log is closed'));
      return new Promise<void>((resolve, reject) => {
        pending.push({ topic, records, resolve, reject });
        // Group commit: every publish of this turn of the event loop shares one transaction and one fsync.
        if (pending.length === 1) setImmediate(flush);
      });
    },
    async consume({
      topic,
      group,
      handle,
      handleRun,
      onHandlerError,
      onError,
      onAssignment,
      onDeadLetter,
      deadLetterAfter = DEAD_LETTER_AFTER,
      dependencyDown,
    }: ConsumeOptions) {
      const abort = new AbortController();
      onAssignment?.([0]);
      let position = committed.get(group, topic)?.offset ?? 0n;
      // Failures in a row of a key's run (by its first record) and of single records, across batches.
      const runFailures = new Map<bigint, FailureTally>();
      const recordFailures = new Map<bigint, FailureTally>();
      // Dead-lettered, but not yet passed by the committed offset (a record before it failed): not again.
      const deadLettered = new Set<bigint>();
      let stuckSince: number | undefined;
      // Moved aside in the same file, durably, before the offset passes it.
      const deadLetter = (row: Row, record: DeliveredRecord, reason: string, attempts: number) => {
        insert.run(
          deadLetterTopicOf(topic),
          record.key,
          row.value,
          JSON.stringify(deadLetterHeaders(record, reason, attempts)),
          new Date().toISOString(),
        );
        deadLettered.add(row.offset);
        onDeadLetter?.(record, reason, attempts);
      };
      // One offset commit (one fsync) per batch, not per record: a crash mid-batch offers the batch's
      // handled records again (at-least-once). Within a batch, each key's records are handled in order and
      // the keys side by side, so the appends they cause share the store's group commit. The commit covers
      // the records up to the first one not handled (its handler threw): that one and those after it come
      // again, the ones already handled among them a second time.
      const takeBatch = async () => {
        const batch = next.all(topic, position, BATCH_SIZE);
        if (batch.length === 0) {
          stuckSince = undefined;
          return sleep(pollMs, abort.signal);
        }
        stuckSince ??= Date.now();
        const byKey = new Map<string, Row[]>();
        for (const row of batch) {
          const rows = byKey.get(row.key);
          if (rows) rows.push(row);
          else byKey.set(row.key, [row]);
        }
        const handled = new Set<bigint>();
        let failed = false;
        // A run that failed one way too often, or holds a record already failing alone, goes one by one, so
        // that only the record at fault is dead-lettered.
        const handleKey = async (rows: Row[]) => {
          const first = rows[0]!.offset;
          const suspect =
            (runFailures.get(first)?.attempts ?? 0) >= deadLetterAfter ||
            rows.some((r) => recordFailures.has(r.offset) || deadLettered.has(r.offset));
          if (handleRun && rows.length > 1 && !suspect && !abort.signal.aborted) {
            const records = rows.map(toDelivered);
            try {
              await handleRun(records);
              runFailures.delete(first);
              for (const row of rows) handled.add(row.offset);
              return;
            } catch (error) {
              if (!(error instanceof UnprocessableRecordError)) {
                failed = true;
                onHandlerError?.(error, records[0]!);
                const tally = await tallyFailure(runFailures.get(first), error, dependencyDown);
                if (tally) runFailures.set(first, tally);
                else runFailures.delete(first);
                return;
              }
            }
          }
          for (const row of rows) {
            if (abort.signal.aborted || failed) return;
            if (deadLettered.has(row.offset)) {
              handled.add(row.offset);
              continue;
            }
            const record = toDelivered(row);
            try {
              await handle(record);
            } catch (error) {
              if (error instanceof UnprocessableRecordError) {
                deadLetter(row, record, error.message, (recordFailures.get(row.offset)?.attempts ?? 0) + 1);
                recordFailures.delete(row.offset);
                handled.add(row.offset);
                continue;
              }
              failed = true;
              onHandlerError?.(error, record);
              const tally = await tallyFailure(recordFailures.get(row.offset), error, dependencyDown);
              if (tally && tally.attempts >= deadLetterAfter) {
                deadLetter(row, record, poisonReason(error, tally.attempts), tally.attempts);
                recordFailures.delete(row.offset);
                handled.add(row.offset);
                return;
              }
              // Kept while it fails, so that the run it belongs to goes one by one from now on.
              recordFailures.set(row.offset, tally ?? { kind: 'outage', attempts: 0 });
              return;
            }
            recordFailures.delete(row.offset);
            handled.add(row.offset);
          }
        };
        // A record one failure short of the dead-letter gets its last try alone, the batch one record at a
        // time in order: beside others, it may have failed for one of them (a store's group commit refuses
        // every append of its transaction for one it cannot keep).
        const lastChance = batch.some((r) => (recordFailures.get(r.offset)?.attempts ?? 0) >= deadLetterAfter - 1);
        try {
          await Promise.all((lastChance ? [batch] : [...byKey.values()]).map(handleKey));
        } finally {
          let through: bigint | undefined;
          for (const row of batch) {
            if (!handled.has(row.offset)) break;
            through = row.offset;
          }
          if (through !== undefined) {
            commit.run(group, topic, through);
            position = through;
            stuckSince = Date.now();
            for (const passed of [runFailures, recordFailures, deadLettered])
              for (const offset of passed.keys()) if (offset <= through) passed.delete(offset);
          }
        }
        if (failed) await pause(retryDelayMs, abort.signal);
        // Let the rest of the process (ingest's requests, timers) have the event loop between batches.
        await new Promise((resolve) => setImmediate(resolve));
      };
      // The loop owns its failures: a read or commit that fails (a locked or full disk) is reported and
      // tried again after a growing pause; what was not committed is read again.
      const loop = (async () => {
        for (let failures = 0; !abort.signal.aborted;) {
          try {
            await takeBatch();
            failures = 0;
          } catch (error) {
            failures++;
            onError?.(error);
            await pause(Math.min(30_000, retryDelayMs * 2 ** (failures - 1)), abort.signal);
          }
        }
      })();
      const consumer: BusConsumer = {
        // One process holds the one partition: nothing else can take it.
        current: () => !abort.signal.aborted,
        stuckSince: () => stuckSince,
        async stop() {
          abort.abort();
          await loop;
          consumers.delete(consumer);
          onAssignment?.([]);
        },
      };
      consumers.add(consumer);
      return consumer;
    },
    async partitioner() {
      return () => 0;
    },
    async deadLetters(topic, limit) {
      return newest.all(deadLetterTopicOf(topic), limit).map(toDelivered).reverse();
    },
    async ping() {
      if (closed) throw new BusUnavailableError('embedded log is closed');
      db.prepare('SELECT 1').get();
    },
    async close() {
      await Promise.all([...consumers].map((c) => c.stop()));
      closed = true;
      // Publishes already promised a commit get it before the file closes.
      if (pending.length > 0) flush();
      otherThreads.close();
      db.close();
    },
  };
}
