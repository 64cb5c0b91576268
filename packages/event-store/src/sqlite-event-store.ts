import { randomUUID } from 'node:crypto';
import { resolve as absolutePath } from 'node:path';
import { BroadcastChannel } from 'node:worker_threads';
import { err, ok } from '@klaxon/domain';
import { openSqliteFile } from '@klaxon/sqlite';
import {
  checkExpectedRevision,
  type EventStore,
  type ExpectedRevision,
  type ReadAllOptions,
  type RecordedEvent,
} from './event-store.ts';
import { EventStoreUnavailable, UnstorableEvents, type SerialisedEvent } from './append-errors.ts';
import { AppendWakers, categoriesOf } from './append-wakers.ts';
import { commitPacer, DEFAULT_COMMIT_PACING, type CommitPacing } from './commit-pacing.ts';
import { queueAppend, type AppendOutcome, type PendingAppend } from './pending-append.ts';
import { pollingSubscription } from './polling-subscription.ts';
import { StoredEvent } from './stored-event.ts';

interface Row {
  position: number | bigint;
  event_id: string;
  stream_id: string;
  revision: number;
  type: string;
  data: string;
  metadata: string | null;
  recorded_at: string;
}

// event_id has no index: ids are random UUIDs made by append itself and nothing looks an event up by id.
// A unique index on them dirtied one random page per event in every commit (files made before keep it).
const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    TEXT NOT NULL,
  stream_id   TEXT NOT NULL,
  revision    INTEGER NOT NULL,
  type        TEXT NOT NULL,
  data        TEXT NOT NULL,
  metadata    TEXT,
  recorded_at TEXT NOT NULL,
  UNIQUE (stream_id, revision)
);`;

/** SQLite's result codes for the file itself failing (locked, full, unreadable): the store is unavailable. */
const FILE_FAILURE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|NOMEM|INTERRUPT)/;

/**
 * Why a group commit's appends were refused: the file failing is an outage, worth retrying as it is; a
 * constraint or trigger refusing what one of them holds is not, and callers must not wait for it to pass.
 */
function batchRefusal(streamId: string, error: unknown): Error {
  const { code, message } = error as { code?: unknown; message: string };
  return typeof code === 'string' && !FILE_FAILURE.test(code)
    ? new UnstorableEvents(streamId, message, { cause: error })
    : new EventStoreUnavailable(message, { cause: error });
}

export interface SqliteEventStoreOptions {
  /** Other processes may append to the same file; they are noticed within this interval. */
  pollMs?: number;
  /** When a group commit waits for more appends (`holdMs: 0`: never). */
  commitPacing?: CommitPacing;
}

/** The embedded default: one SQLite file in WAL mode. Several processes may share it. */
export function openSqliteEventStore(file: string, options: SqliteEventStoreOptions = {}): EventStore {
  // An acknowledged append must survive power loss, not only a process crash.
  const db = openSqliteFile(file, { synchronous: 'FULL', safeIntegers: true });
  db.exec(SCHEMA);

  const appended = new AppendWakers();
  // Stores on the same file in other threads of this process hear of appends at once, by category (`pnpm
  // start` runs escalation and projection in threads of their own); other processes notice at their next poll.
  const otherThreads = new BroadcastChannel(`klaxon-event-store:${absolutePath(file)}`);
  otherThreads.unref();
  otherThreads.onmessage = (message) => appended.wake((message as { data: string[] }).data);
  const currentRevision = db.prepare<[string], { revision: bigint | null }>(
    'SELECT MAX(revision) AS revision FROM events WHERE stream_id = ?',
  );
  const insert = db.prepare(
    'INSERT INTO events (event_id, stream_id, revision, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const readStream = db.prepare<[string, number], Row>(
    'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision',
  );
  const readAllStmt = db.prepare<[bigint, number], Row>(
    'SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?',
  );
  const readAllPrefixed = db.prepare<[bigint, string, number], Row>(
    "SELECT * FROM events WHERE position > ? AND stream_id LIKE ? ESCAPE '\\' ORDER BY position LIMIT ?",
  );
  const head = db.prepare<[], { position: bigint | null }>('SELECT MAX(position) AS position FROM events');

  const appendOne = (streamId: string, events: SerialisedEvent[], expected: ExpectedRevision): AppendOutcome => {
    const row = currentRevision.get(streamId);
    const current = row?.revision === null || row === undefined ? 'no_stream' : Number(row.revision);
    const conflict = checkExpectedRevision(streamId, expected, current);
    if (conflict) return err(conflict);
    let revision = current === 'no_stream' ? -1 : current;
    let position = 0n;
    const now = new Date().toISOString();
    for (const e of events) {
      revision += 1;
      const info = insert.run(randomUUID(), streamId, revision, e.type, e.data, e.metadata, now);
      position = BigInt(info.lastInsertRowid);
    }
    return ok({ nextExpectedRevision: revision, position });
  };
  // Group commit: every append of one turn of the event loop (a batch of alerts handled side by side, each
  // on its own incident), or of a few milliseconds while appends keep coming (commit-pacing.ts), shares one
  // transaction and one fsync. Each keeps its own expected-revision check: one that conflicts is refused
  // alone, the others commit. Events were serialised before they joined the batch (one JSON cannot carry is
  // refused alone there): SQLite keeps any text, so what fails in here is the file itself (locked, full), and
  // the whole batch with it.
  const appendTx = db.transaction((batch: PendingAppend[]) =>
    batch.map((a) => appendOne(a.streamId, a.events, a.expected)),
  );
  let pending: PendingAppend[] = [];
  const pacer = commitPacer(options.commitPacing ?? DEFAULT_COMMIT_PACING, () => performance.now());
  let held: NodeJS.Timeout | undefined;
  const flush = () => {
    clearTimeout(held);
    held = undefined;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let outcomes: AppendOutcome[];
    try {
      // IMMEDIATE takes the write lock up front, so two processes never both read the old revision.
      outcomes = appendTx.immediate(batch);
    } catch (error) {
      for (const a of batch) a.reject(batchRefusal(a.streamId, error));
      return;
    }
    batch.forEach((a, i) => a.resolve(outcomes[i]!));
    const streams = batch.filter((_, i) => outcomes[i]!.ok).map((a) => a.streamId);
    if (streams.length === 0) return;
    const categories = categoriesOf(streams);
    appended.wake(categories);
    otherThreads.postMessage(categories);
  };

  const toRecorded = (r: Row): RecordedEvent => new StoredEvent(r);

  const readAll = async ({ after, limit, streamPrefix }: ReadAllOptions) => {
    const from = after ?? 0n;
    const rows = streamPrefix
      ? readAllPrefixed.all(from, `${escapeLike(streamPrefix)}%`, limit)
      : readAllStmt.all(from, limit);
    return rows.map(toRecorded);
  };
  const headPosition = async () => head.get()?.position ?? undefined;
  const pollMs = options.pollMs ?? 200;

  return {
    kind: 'sqlite',
    append(streamId, events, expected) {
      return queueAppend(streamId, events, expected, (append) => {
        pending.push(append);
        const when = pacer.arrived(pending.length);
        if (when === 'next-turn' || when === 'now') setImmediate(flush);
        else if (when !== undefined) held = setTimeout(flush, when);
      });
    },
    async readStream(streamId, fromRevision = 0) {
      return readStream.all(streamId, fromRevision).map(toRecorded);
    },
    readAll,
    headPosition,
    subscribe(subscribeOptions) {
      const watchAppends = () => appended.watch(subscribeOptions.streamPrefix);
      return pollingSubscription({ readAll, headPosition, watchAppends }, subscribeOptions, pollMs);
    },
    async ping() {
      head.get();
    },
    async close() {
      // Appends already queued get their commit before the file closes.
      if (pending.length > 0) flush();
      appended.wake();
      otherThreads.close();
      db.close();
    },
  };
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);
