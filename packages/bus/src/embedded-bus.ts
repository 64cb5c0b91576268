import { EventEmitter } from 'node:events';
import { resolve as absolutePath } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { openSqliteFile } from '@klaxon/sqlite';
import {
  BusUnavailableError,
  deadLetterHeaders,
  deadLetterTopicOf,
  type Bus,
  type BusConsumer,
  type BusRecord,
  type ConsumeOptions,
  type DeliveredRecord,
} from './bus.ts';
import { consumeEmbedded, type LogRow } from './embedded-consumer.ts';
import type { BusLogger } from './kafka-bus.ts';

type Row = LogRow;

const OFFSETS_SCHEMA = `
CREATE TABLE IF NOT EXISTS consumer_offsets (
  grp    TEXT NOT NULL,
  topic  TEXT NOT NULL,
  offset INTEGER NOT NULL,
  PRIMARY KEY (grp, topic)
);`;

// In the offsets' own file, each offset also names its record, so that one kept for another log is known.
const OFFSETS_FILE_SCHEMA = `
CREATE TABLE IF NOT EXISTS consumer_offsets (
  grp          TEXT NOT NULL,
  topic        TEXT NOT NULL,
  offset       INTEGER NOT NULL,
  key          TEXT NOT NULL,
  published_at TEXT NOT NULL,
  PRIMARY KEY (grp, topic)
);`;

// The log's file keeps its own (empty) consumer_offsets: a bus.db from before the offsets had a file of their
// own holds the offsets consumers resume from.
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
${OFFSETS_SCHEMA}`;

/** Where a log's consumer offsets are kept: `bus.db` → `bus.offsets.db`; an in-memory log's, in memory. */
export const offsetsFileOf = (file: string): string =>
  file === '' || file === ':memory:'
    ? ':memory:'
    : file.endsWith('.db')
      ? `${file.slice(0, -'.db'.length)}.offsets.db`
      : `${file}.offsets`;

/** Records a consumer holds read but not committed, at most. */
const IN_HAND = 200;
/** How long an offset commit may wait for more records handled, while others are in hand. */
const COMMIT_EVERY_MS = 50;

interface PendingPublish {
  topic: string;
  records: BusRecord[];
  resolve(): void;
  reject(error: Error): void;
}

export interface EmbeddedBusOptions {
  /** Hears of consumer offsets set aside because they were kept for another log. */
  logger?: BusLogger;
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
  let heard = 0;
  const hear = () => {
    heard++;
    published.emit('published');
  };
  // Consumers of the same file in other threads of this process hear of new records at once too (`pnpm
  // start` runs ingest and escalation in threads of their own); other processes notice at their next poll.
  const otherThreads = new BroadcastChannel(`klaxon-embedded-bus:${absolutePath(file)}`);
  otherThreads.unref();
  otherThreads.onmessage = hear;
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
    hear();
    otherThreads.postMessage(null);
  };
  // Offsets live in a file of their own: in the log's file, the consumer's commits and ingest's publishes
  // (other threads of `pnpm start`) took turns at its one write lock, and SQLite's busy wait sleeps with a
  // growing back-off instead of waking when the lock frees, so each stalled the other's event loop. They are
  // committed without an fsync (SQLite syncs them at its checkpoints): one lost to a power cut only offers
  // handled records again (at-least-once). A record is readable only once it is fsynced, so no offset
  // passes a record a power cut could take, as long as the offsets are this log's (checked below).
  // Opened at the first consumer: a publisher (ingest) never needs the file, nor stops if it is damaged.
  const committedBefore = db.prepare<[string, string], { offset: bigint }>(
    'SELECT offset FROM consumer_offsets WHERE grp = ? AND topic = ?',
  );
  const recordAt = db.prepare<[bigint], { key: string; published_at: string }>(
    'SELECT key, published_at FROM records WHERE offset = ?',
  );
  const openOffsets = () => {
    const offsets = openSqliteFile(offsetsFileOf(file), { synchronous: 'NORMAL', safeIntegers: true });
    offsets.exec(OFFSETS_FILE_SCHEMA);
    return {
      db: offsets,
      committed: offsets.prepare<[string, string], { offset: bigint; key: string; published_at: string }>(
        'SELECT offset, key, published_at FROM consumer_offsets WHERE grp = ? AND topic = ?',
      ),
      commit: offsets.prepare<[string, string, bigint, string, string]>(
        'INSERT INTO consumer_offsets (grp, topic, offset, key, published_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (grp, topic) DO UPDATE SET offset = excluded.offset, key = excluded.key, published_at = excluded.published_at',
      ),
    };
  };
  let offsets: ReturnType<typeof openOffsets> | undefined;
  const offsetsFile = () => (offsets ??= openOffsets());
  const committed = (group: string, topic: string) => {
    const kept = offsetsFile().committed.get(group, topic);
    if (!kept) return committedBefore.get(group, topic)?.offset;
    // The log is append-only: while the record at the kept offset is the one it was, every record before it
    // is too. Otherwise the offset was kept for another log (bus.db deleted, or restored from an older copy)
    // and would pass records this one has not delivered: the log's own offset, or its start, applies.
    const record = recordAt.get(kept.offset);
    if (record?.key === kept.key && record.published_at === kept.published_at) return kept.offset;
    const resumeAfter = committedBefore.get(group, topic)?.offset;
    options.logger?.warn(
      { group, topic, kept: String(kept.offset), resumeAfter: resumeAfter === undefined ? null : String(resumeAfter) },
      "a consumer offset was kept for another log (bus.db deleted or restored?); the group starts from this log's own",
    );
    return resumeAfter;
  };
  const commit = (group: string, topic: string, offset: bigint) => {
    const record = recordAt.get(offset);
    if (!record) throw new Error(`no record at offset ${offset} of ${file}`);
    offsetsFile().commit.run(group, topic, offset, record.key, record.published_at);
  };
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
    new Promise<boolean>((resolve) => {
      const wake = (timedOut: boolean) => {
        clearTimeout(timer);
        published.off('published', woken);
        signal.removeEventListener('abort', woken);
        resolve(timedOut);
      };
      const woken = () => wake(false);
      const timer = setTimeout(() => wake(true), ms);
      published.on('published', woken);
      signal.addEventListener('abort', woken, { once: true });
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
    async consume(options: ConsumeOptions) {
      const consumer = consumeEmbedded(
        {
          committed,
          read: (topic, after, limit) => next.all(topic, after, limit),
          commit,
          deadLetter: (row, record, reason, attempts) =>
            void insert.run(
              deadLetterTopicOf(record.topic),
              record.key,
              row.value,
              JSON.stringify(deadLetterHeaders(record, reason, attempts)),
              new Date().toISOString(),
            ),
          toDelivered,
          published: sleep,
          publishes: () => heard,
        },
        options,
        { pollMs, retryDelayMs, maxInHand: IN_HAND, commitEvery: IN_HAND / 2, commitEveryMs: COMMIT_EVERY_MS },
        (stopped) => consumers.delete(stopped),
      );
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
      offsets?.db.close();
      db.close();
    },
  };
}
