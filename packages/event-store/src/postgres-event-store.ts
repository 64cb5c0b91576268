import { createHash } from 'node:crypto';
import pg from 'pg';
import { type EventStore, type ReadAllOptions, type RecordedEvent } from './event-store.ts';
import { EventStoreUnavailable, UnstorableEvents } from './append-errors.ts';
import { queueAppend, takeBatch, type AppendOutcome, type PendingAppend } from './pending-append.ts';
import { AppendWakers, categoriesOf, categoriesOfPayload, noticePayload } from './append-wakers.ts';
import { pollingSubscription } from './polling-subscription.ts';
import { CATEGORY, prefixRead, withHead } from './postgres-prefix-read.ts';
import {
  APPEND_FUNCTION,
  appendArguments,
  appendFunction,
  appendOutcomes,
  type AppendRow,
} from './postgres-append-function.ts';
import { StoredEvent } from './stored-event.ts';

interface Row {
  position: string;
  event_id: string;
  stream_id: string;
  revision: string;
  type: string;
  /** The event's JSON text as stored: parsed when first read (see `StoredEvent`). */
  data: string;
  metadata: string | null;
  recorded_at: Date;
}

const JSON_OID = 114;
const JSONB_OID = 3802;
/**
 * This pool's type parsers: json, and jsonb (the columns of a store made before they were json), come back
 * as their text; every other type as pg parses it.
 */
const jsonAsText = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === JSON_OID || oid === JSONB_OID ? (text: string) => text : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** Schema holding the `events` table; tests use one per run. */
  schema?: string;
  pollMs?: number;
  poolSize?: number;
  connectTimeoutMs?: number;
}

/** Appends one transaction takes at most; more wait for the next. */
const MAX_APPENDS_PER_TRANSACTION = 500;
/**
 * A transaction's events go as one JSON array (data) and one more (metadata), each one json value, of at
 * most 1 GB (and each event of at most 256 MB where the columns are jsonb); in UTF-16 units, at most 3 bytes
 * each, this keeps a batch's arrays well under it.
 */
const MAX_CHARS_PER_TRANSACTION = 64 * 1024 * 1024;

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The longest start of `text` of at most `bytes` bytes in UTF-8, cut between characters. */
const utf8Prefix = (text: string, bytes: number) => {
  let end = 0;
  let size = 0;
  for (const c of text) {
    size += Buffer.byteLength(c);
    if (size > bytes) break;
    end += c.length;
  }
  return text.slice(0, end);
};

const statementNames = new Map<string, string>();
/**
 * A statement named for its text, so that each connection has PostgreSQL parse and analyse it once instead
 * of at every call (the gain is in docs/benchmarks.md). Every text here is made of fixed SQL and a table's
 * name: a few per store.
 */
const prepared = <V extends unknown[]>(text: string, values: V): { name: string; text: string; values: V } => {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `klaxon_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
};

/**
 * SQLSTATE class 22, data exception: a value PostgreSQL refuses to keep, such as a NUL in a jsonb column's
 * text (a store made before json columns).
 */
const isDataException = (error: unknown) => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('22');
};

const ignoreError = () => undefined;

/** First pause before the notification listener connects again after PostgreSQL cut it; doubles up to the cap. */
const LISTEN_RETRY_MS = 500;
const LISTEN_RETRY_MAX_MS = 30_000;

/**
 * Event text over about 2 kB is compressed where PostgreSQL keeps it: with lz4 where the server has it
 * (version 14 or later, built with lz4), which costs a fraction of the default pglz at every insert and every
 * read. Set once per store, in the caller's transaction (a brief lock of the table); rows kept before stay
 * as they are. A server without lz4 keeps pglz, and is not asked again at every start.
 */
async function useLz4(ddl: pg.PoolClient, table: string): Promise<void> {
  // Before version 14 there is no such setting (and no lz4); without lz4 it does not offer it.
  const { rows: offered } = await ddl.query<{ lz4: boolean }>(
    `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
  );
  if (!offered[0]?.lz4) return;
  const { rows } = await ddl.query<{ pending: boolean }>(
    `SELECT count(*) FILTER (WHERE attcompression <> 'l') > 0 AS pending
     FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('data', 'metadata')`,
    [table],
  );
  if (rows[0]!.pending)
    await ddl.query(
      `ALTER TABLE ${table} ALTER COLUMN data SET COMPRESSION lz4, ALTER COLUMN metadata SET COMPRESSION lz4`,
    );
}

export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<EventStore> {
  const schema = options.schema ?? 'klaxon';
  const table = `${ident(schema)}.events`;
  // A channel's name is at most 63 bytes: LISTEN cuts a longer one there, pg_notify refuses it.
  const channel = utf8Prefix(`klaxon_events_${schema}`, 63);
  // A server that does not answer refuses an append after this long instead of leaving it waiting for ever.
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    types: jsonAsText,
  });
  pool.on('error', () => undefined);

  // Services start together against an empty database, and `IF NOT EXISTS` DDL is not safe when run
  // concurrently (a unique violation on pg_class): they take turns under a transaction-level lock.
  const ddl = await pool.connect();
  try {
    await ddl.query('BEGIN');
    await ddl.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`klaxon-ddl:${schema}`]);
    await ddl.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    // Events are json, not jsonb: this code writes their text and reads it back whole, and nothing queries
    // inside it, so jsonb's conversion to its binary form at every insert, and back to text at every read of
    // escalation and projection, bought nothing. A store made with jsonb columns keeps them and works as before
    // (the insert's json is cast to jsonb); changing them rewrites the table, an operator's choice
    // (docs/operations.md).
    await ddl.query(`
    CREATE TABLE IF NOT EXISTS ${table} (
      position    BIGSERIAL PRIMARY KEY,
      event_id    UUID NOT NULL,
      stream_id   TEXT NOT NULL,
      revision    BIGINT NOT NULL,
      type        TEXT NOT NULL,
      data        JSON NOT NULL,
      metadata    JSON,
      recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (stream_id, revision)
    )`);
    // A store made before the category index is migrated once, when a service first opens it. Each step
    // runs only when it has something to do: dropping a constraint or an index locks the table against reads
    // and appends, even with IF EXISTS, and every service start would take that lock.
    const { rows: found } = await ddl.query<{ category: boolean; old_index: boolean; unique_id: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS category, to_regclass($2) IS NOT NULL AS old_index,
         EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = $3::regclass AND conname = 'events_event_id_key') AS unique_id`,
      [`${ident(schema)}.events_category`, `${ident(schema)}.events_stream_prefix`, table],
    );
    const { category, old_index, unique_id } = found[0]!;
    // Event ids are random UUIDs made by the insert itself and nothing looks an event up by id: a unique
    // index on them dirtied one random page per event in every commit.
    if (unique_id) await ddl.query(`ALTER TABLE ${table} DROP CONSTRAINT events_event_id_key`);
    if (!category)
      await ddl.query(
        `CREATE INDEX IF NOT EXISTS events_category ON ${table} (${CATEGORY} text_pattern_ops, position)`,
      );
    if (old_index) await ddl.query(`DROP INDEX ${ident(schema)}.events_stream_prefix`);
    await useLz4(ddl, table);
    // Replaced only when it differs: replacing needs the role that owns it, and resets every session's copy.
    const append = appendFunction(ident(schema), table);
    const { rows: same } = await ddl.query(
      `SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = $1 AND p.proname = $2 AND p.prosrc = $3`,
      [schema, APPEND_FUNCTION, append.body],
    );
    if (same.length === 0) await ddl.query(append.ddl);
    await ddl.query('COMMIT');
  } catch (error) {
    await ddl.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    ddl.release();
  }

  // The key of the lock appends take (the same as before the append function, so that an older instance
  // during an upgrade takes turns with this one).
  const { rows: lockRows } = await pool.query<{ key: number }>('SELECT hashtext($1) AS key', [table]);
  const appendLock = Number(lockRows[0]!.key);
  const appendCall = `SELECT actual, last_revision, event_position FROM ${ident(schema)}.${APPEND_FUNCTION}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

  // Notifications only shorten a subscription's wait: polling covers the time the listener is down, and it
  // connects again by itself, with backoff, after PostgreSQL cut it.
  const appended = new AppendWakers();
  const wakeAll = () => appended.wake();
  let closing = false;
  let listener: pg.Client | undefined;
  let listenFailures = 0;
  const listen = async (): Promise<void> => {
    if (closing) return;
    const client = new pg.Client({ connectionString: options.connectionString });
    listener = client;
    let lost = false;
    const again = () => {
      if (closing || lost) return;
      lost = true;
      client.end().catch(() => undefined);
      const delay = Math.min(LISTEN_RETRY_MAX_MS, LISTEN_RETRY_MS * 2 ** listenFailures++);
      setTimeout(() => listen().catch(() => undefined), delay).unref();
    };
    client.on('error', again);
    client.on('end', again);
    client.on('notification', (notice) => appended.wake(categoriesOfPayload(notice.payload)));
    try {
      await client.connect();
      await client.query(`LISTEN ${ident(channel)}`);
      listenFailures = 0;
      // Appends made while it was away are not announced: followers look now rather than at their next poll.
      wakeAll();
    } catch (error) {
      again();
      throw error;
    }
  };
  try {
    await listen();
  } catch (error) {
    closing = true;
    await listener?.end().catch(() => undefined);
    await pool.end();
    throw error;
  }

  const toRecorded = (r: Row): RecordedEvent => new StoredEvent({ ...r, recorded_at: r.recorded_at.toISOString() });

  const read = ({ after, limit, streamPrefix }: ReadAllOptions) => {
    const from = (after ?? 0n).toString();
    return streamPrefix
      ? prefixRead(table, { after: from, limit, streamPrefix })
      : { text: `SELECT * FROM ${table} WHERE position > $1 ORDER BY position LIMIT $2`, values: [from, limit] };
  };
  const readAll = async (readOptions: ReadAllOptions) => {
    const { text, values } = read(readOptions);
    const { rows } = await pool.query<Row>(prepared(text, values));
    return rows.map(toRecorded);
  };
  // A follower's wake was two statements, the head and then its read; as one, it is one round trip and one
  // snapshot (positions are handed out under the append lock, so none below the head commits after it).
  const readWithHead = async (readOptions: ReadAllOptions) => {
    const { text, values } = read(readOptions);
    const { rows } = await pool.query<Row & { head: string | null }>(prepared(withHead(table, text), values));
    const head = rows[0]?.head ? BigInt(rows[0].head) : undefined;
    // No event after the position: one row, the head's, with the event's columns null.
    const batch = rows[0]?.position === null ? [] : rows.map(toRecorded);
    return { head, batch };
  };
  const headPosition = async () => {
    const { rows } = await pool.query<{ position: string | null }>(
      prepared(`SELECT MAX(position) AS position FROM ${table}`, []),
    );
    return rows[0]?.position ? BigInt(rows[0].position) : undefined;
  };

  /**
   * Group commit: appends that arrive while a transaction is in flight wait for it and then go together in
   * the next one (one lock, one read of their streams' revisions, one insert, one fsync), as one call of the
   * append function (postgres-append-function.ts): one round trip. Each keeps its own expected-revision
   * check, decided in their order under the lock: one that conflicts is refused alone. A lone append goes
   * at once. Appends are serialised per store (the lock) so that positions become visible in the order they
   * were handed out; otherwise a catch-up reader could pass a position whose transaction commits later.
   */
  const commitBatch = async (batch: PendingAppend[]): Promise<AppendOutcome[]> => {
    // Streams whose appends are refused are in the notice too: a follower woken for nothing reads nothing.
    const notice = noticePayload(categoriesOf(batch.map((a) => a.streamId)));
    const client = await pool.connect();
    // A connection cut during the call is also reported as an event on the checked-out client, which would
    // end the process unheard; the call fails with it anyway.
    client.on('error', ignoreError);
    let broken: Error | undefined;
    try {
      const { rows } = await client.query<AppendRow>(
        prepared(appendCall, [appendLock, ...appendArguments(batch, channel, notice)]),
      );
      return appendOutcomes(batch, rows);
    } catch (error) {
      // A connection that failed leaves the pool; one that refused data is as good as before.
      if (!isDataException(error)) broken = error as Error;
      throw error;
    } finally {
      client.off('error', ignoreError);
      client.release(broken);
    }
  };
  /**
   * Every append of a batch settles, whatever happens: with its outcome, or refused with a typed error its
   * caller can act on. Events PostgreSQL refuses (a NUL in a jsonb column's text) fail the whole transaction: the
   * batch is then committed again one append at a time, so that only the append that holds them is refused.
   */
  const writeBatch = async (batch: PendingAppend[]): Promise<void> => {
    let outcomes: AppendOutcome[];
    try {
      outcomes = await commitBatch(batch);
    } catch (error) {
      if (isDataException(error) && batch.length > 1) {
        for (const append of batch) await writeBatch([append]);
        return;
      }
      const reason = (error as Error).message;
      for (const a of batch)
        a.reject(
          isDataException(error)
            ? new UnstorableEvents(a.streamId, reason, { cause: error })
            : new EventStoreUnavailable(reason, { cause: error }),
        );
      return;
    }
    batch.forEach((a, i) => a.resolve(outcomes[i]!));
  };
  const queue: PendingAppend[] = [];
  let writing: Promise<void> | undefined;
  const pump = () => {
    if (writing || queue.length === 0) return;
    const batch = takeBatch(queue, { appends: MAX_APPENDS_PER_TRANSACTION, chars: MAX_CHARS_PER_TRANSACTION });
    writing = writeBatch(batch).finally(() => {
      writing = undefined;
      pump();
    });
  };

  return {
    kind: 'postgres',
    append(streamId, events, expected) {
      return queueAppend(streamId, events, expected, (append) => {
        queue.push(append);
        pump();
      });
    },
    async readStream(streamId, fromRevision = 0) {
      const { rows } = await pool.query<Row>(
        prepared(`SELECT * FROM ${table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`, [
          streamId,
          fromRevision,
        ]),
      );
      return rows.map(toRecorded);
    },
    readAll,
    headPosition,
    subscribe(subscribeOptions) {
      const watchAppends = () => appended.watch(subscribeOptions.streamPrefix);
      return pollingSubscription(
        { readAll, headPosition, readWithHead, watchAppends },
        subscribeOptions,
        options.pollMs ?? 1000,
      );
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      // Appends already queued get their commit before the pool closes.
      while (writing) await writing;
      closing = true;
      wakeAll();
      await listener?.end().catch(() => undefined);
      await pool.end();
    },
  };
}
