import pg from 'pg';
import { err, ok } from '@klaxon/domain';
import { checkExpectedRevision, type EventStore, type ReadAllOptions, type RecordedEvent } from './event-store.ts';
import { pollingSubscription } from './polling-subscription.ts';

interface Row {
  position: string;
  event_id: string;
  stream_id: string;
  revision: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown> | null;
  recorded_at: Date;
}

export interface PostgresEventStoreOptions {
  connectionString: string;
  /** Schema holding the `events` table; tests use one per run. */
  schema?: string;
  pollMs?: number;
  poolSize?: number;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<EventStore> {
  const schema = options.schema ?? 'klaxon';
  const table = `${ident(schema)}.events`;
  const channel = `klaxon_events_${schema}`.slice(0, 63);
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? 10 });
  pool.on('error', () => undefined);

  // Services start together against an empty database, and `IF NOT EXISTS` DDL is not safe when run
  // concurrently (a unique violation on pg_class): they take turns under a transaction-level lock.
  const ddl = await pool.connect();
  try {
    await ddl.query('BEGIN');
    await ddl.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`klaxon-ddl:${schema}`]);
    await ddl.query(`CREATE SCHEMA IF NOT EXISTS ${ident(schema)}`);
    await ddl.query(`
    CREATE TABLE IF NOT EXISTS ${table} (
      position    BIGSERIAL PRIMARY KEY,
      event_id    UUID NOT NULL UNIQUE,
      stream_id   TEXT NOT NULL,
      revision    BIGINT NOT NULL,
      type        TEXT NOT NULL,
      data        JSONB NOT NULL,
      metadata    JSONB,
      recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      UNIQUE (stream_id, revision)
    )`);
    await ddl.query(`CREATE INDEX IF NOT EXISTS events_stream_prefix ON ${table} (stream_id text_pattern_ops, position)`);
    await ddl.query('COMMIT');
  } catch (error) {
    await ddl.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    ddl.release();
  }

  const listener = new pg.Client({ connectionString: options.connectionString });
  listener.on('error', () => undefined);
  const wakers = new Set<() => void>();
  listener.on('notification', () => {
    for (const wake of wakers) wake();
  });
  await listener.connect();
  await listener.query(`LISTEN ${ident(channel)}`);

  const toRecorded = (r: Row): RecordedEvent => ({
    eventId: r.event_id,
    streamId: r.stream_id,
    revision: Number(r.revision),
    position: BigInt(r.position),
    type: r.type,
    data: r.data,
    metadata: r.metadata ?? {},
    recordedAt: r.recorded_at.toISOString(),
  });

  const readAll = async ({ after, limit, streamPrefix }: ReadAllOptions) => {
    const from = (after ?? 0n).toString();
    const { rows } = streamPrefix
      ? await pool.query<Row>(
          `SELECT * FROM ${table} WHERE position > $1 AND stream_id LIKE $2 ORDER BY position LIMIT $3`,
          [from, `${streamPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`, limit],
        )
      : await pool.query<Row>(`SELECT * FROM ${table} WHERE position > $1 ORDER BY position LIMIT $2`, [from, limit]);
    return rows.map(toRecorded);
  };
  const headPosition = async () => {
    const { rows } = await pool.query<{ position: string | null }>(`SELECT MAX(position) AS position FROM ${table}`);
    return rows[0]?.position ? BigInt(rows[0].position) : undefined;
  };

  return {
    kind: 'postgres',
    async append(streamId, events, expectedRevision) {
      if (events.length === 0) throw new Error('append needs at least one event');
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // Appends are serialised per store so that positions become visible in the order they were
        // handed out; otherwise a catch-up reader could pass a position whose transaction commits later.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
        const { rows } = await client.query<{ revision: string | null }>(
          `SELECT MAX(revision) AS revision FROM ${table} WHERE stream_id = $1`,
          [streamId],
        );
        const current = rows[0]?.revision == null ? 'no_stream' : Number(rows[0].revision);
        const conflict = checkExpectedRevision(streamId, expectedRevision, current);
        if (conflict) {
          await client.query('ROLLBACK');
          return err(conflict);
        }
        const first = current === 'no_stream' ? 0 : current + 1;
        const inserted = await client.query<{ position: string }>(
          `INSERT INTO ${table} (event_id, stream_id, revision, type, data, metadata)
           SELECT gen_random_uuid(), $1, first + ord - 1, t, d, m
           FROM unnest($2::text[], $3::jsonb[], $4::jsonb[]) WITH ORDINALITY AS e(t, d, m, ord), (SELECT $5::bigint AS first) f
           ORDER BY ord
           RETURNING position`,
          [
            streamId,
            events.map((e) => e.type),
            events.map((e) => JSON.stringify(e.data)),
            events.map((e) => (e.metadata ? JSON.stringify(e.metadata) : null)),
            first,
          ],
        );
        await client.query('SELECT pg_notify($1, $2)', [channel, '']);
        await client.query('COMMIT');
        const position = inserted.rows.reduce((max, r) => (BigInt(r.position) > max ? BigInt(r.position) : max), 0n);
        return ok({ nextExpectedRevision: first + events.length - 1, position });
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async readStream(streamId, fromRevision = 0) {
      const { rows } = await pool.query<Row>(`SELECT * FROM ${table} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`, [
        streamId,
        fromRevision,
      ]);
      return rows.map(toRecorded);
    },
    readAll,
    headPosition,
    subscribe(subscribeOptions) {
      const waitForAppend = (timeoutMs: number) =>
        new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, timeoutMs);
          wakers.add(wake);
        });
      return pollingSubscription({ readAll, headPosition, waitForAppend }, subscribeOptions, options.pollMs ?? 1000);
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      for (const wake of wakers) wake();
      await listener.end().catch(() => undefined);
      await pool.end();
    },
  };
}
