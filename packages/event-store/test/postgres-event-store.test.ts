import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { openPostgresEventStore, UnstorableEvents, type EventStore } from '../src/index.ts';
import { prefixRead, withHead } from '../src/postgres-prefix-read.ts';
import { latestRevisions } from '../src/postgres-revisions.ts';
import { eventStoreContract } from './contract/event-store-contract.ts';
import { dropSchema, postgresAvailable, TEST_DATABASE_URL, uniqueSchema } from '@klaxon/testing';

const available = await postgresAvailable('PostgreSQL event-store contract suite');

describe.runIf(available)('PostgreSQL', () => {
  eventStoreContract('PostgreSQL', async () => {
    const schema = uniqueSchema('klaxon_es');
    const open = () => openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, pollMs: 50 });
    let store = await open();
    return {
      store,
      async reopen() {
        await store.close();
        store = await open();
        return store;
      },
      async dispose() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});

describe.runIf(available)('PostgreSQL start-up', () => {
  it('several services opening the store at once on an empty database all start (no DDL race)', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = uniqueSchema('klaxon_race');
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema })),
      );
      expect(stores).toHaveLength(6);
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });
});

const withSql = async <T>(run: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
};

/** An events table as earlier versions made it: jsonb columns, and before the category index a unique event id. */
async function createJsonbTable(client: pg.Client, schema: string, { uniqueEventId }: { uniqueEventId: boolean }) {
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`CREATE TABLE "${schema}".events (
    position BIGSERIAL PRIMARY KEY, event_id UUID NOT NULL${uniqueEventId ? ' UNIQUE' : ''}, stream_id TEXT NOT NULL,
    revision BIGINT NOT NULL, type TEXT NOT NULL, data JSONB NOT NULL, metadata JSONB,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(), UNIQUE (stream_id, revision))`);
}

describe.runIf(available)('PostgreSQL prefix reads', () => {
  /**
   * The plan of a follower's read of `streamPrefix` from `after` (by default five events behind the head), as
   * PostgreSQL ran it: planned with its values, as node-postgres's unnamed statements are, or `generic`, once
   * for any values, as a named prepared statement is after a few runs; `withHead`, with the head beside it, as
   * a subscription reads.
   */
  const planOfRead = async (
    schema: string,
    streamPrefix: string,
    store: EventStore,
    { after, generic = false, head = false }: { after?: bigint; generic?: boolean; head?: boolean } = {},
  ) => {
    const from = after ?? (await store.headPosition())! - 5n;
    const table = `"${schema}".events`;
    const read = prefixRead(table, { after: from.toString(), limit: 100, streamPrefix });
    const { text, values } = head ? { ...read, text: withHead(table, read.text) } : read;
    return withSql(async (client) => {
      const explain = 'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)';
      if (generic) {
        await client.query('SET plan_cache_mode = force_generic_plan');
        await client.query(`PREPARE read AS ${text}`);
      }
      const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        generic
          ? `${explain} EXECUTE read(${values.map((v) => client.escapeLiteral(String(v))).join(', ')})`
          : `${explain} ${text}`,
        generic ? [] : values,
      );
      return rows[0]!['QUERY PLAN'][0]!.Plan;
    });
  };
  const blocksOf = (plan: PlanNode) => plan['Shared Hit Blocks'] + plan['Shared Read Blocks'];

  it("a caught-up follower's read touches a few index pages, however many events its category holds", async () => {
    const schema = uniqueSchema('klaxon_prefix');
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      // Young, so never analysed: the planner has no statistics to steer it, as in a new deployment's first storm.
      for (let batch = 0; batch < 40; batch++)
        await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            store.append(`incident-${batch * 100 + i}`, [{ type: 'Opened', data: { i }, metadata: {} }], 'no_stream'),
          ),
        );
      const plan = await planOfRead(schema, 'incident-', store);
      expect(plan['Actual Rows']).toBe(5);
      // By the category's index, not by luck of a plan (the primary key would touch few pages here too).
      expect(indexesOf(plan)).toContain('events_category');
      // 4,000 incident ids fill dozens of pages of an index led by the stream id; the category's index
      // finds the five new entries on one or two.
      expect(blocksOf(plan)).toBeLessThan(12);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it.each([
    ['planned with its values', false, false],
    ['planned once for any values (a generic plan)', true, false],
    ['as a subscription reads it, with the head, planned once for any values', true, true],
  ])(
    "a caught-up follower of a prefix spanning categories ('heartbeat') touches a few pages, however many beats there were: %s",
    async (_name, generic, head) => {
      const schema = uniqueSchema('klaxon_span');
      const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
      try {
        // Categories on either side of the prefix's in the index's order, which no read of it should walk.
        for (const category of ['audit-', 'incident-'])
          for (let batch = 0; batch < 10; batch++)
            await store.append(
              `${category}earlier-${batch}`,
              Array.from({ length: 1000 }, (_, i) => ({ type: 'Noted', data: { i }, metadata: {} })),
              'no_stream',
            );
        // Months of a few monitors' beats: 40,000 entries in the range of categories the prefix spans.
        await store.append('heartbeats', [{ type: 'HeartbeatMonitorAdded', data: {}, metadata: {} }], 'no_stream');
        for (let batch = 0; batch < 40; batch++)
          await Promise.all(
            Array.from({ length: 4 }, (_, m) =>
              store.append(
                `heartbeat-job${m}`,
                Array.from({ length: 250 }, (_, i) => ({ type: 'Beat', data: { i }, metadata: {} })),
                batch === 0 ? 'no_stream' : batch * 250 - 1,
              ),
            ),
          );
        await store.append('heartbeats', [{ type: 'HeartbeatMonitorAdded', data: {}, metadata: {} }], 0);
        await store.append('incident-1', [{ type: 'Opened', data: {}, metadata: {} }], 'no_stream');
        const plan = await planOfRead(schema, 'heartbeat', store, { generic, head });
        // The last three beats, the stream `heartbeats`' second event; not the incident's.
        expect(plan['Actual Rows']).toBe(4);
        expect(indexesOf(plan)).toContain('events_category');
        // Walking the range of the index by category, 40,000 beats are over a hundred pages, and walking on
        // past its end, 10,000 incident events are hundreds more (433 in a generic plan bounded by `LIKE`
        // alone); a descent per category (two here, and the end of the range) finds the new entries on a few.
        expect(blocksOf(plan)).toBeLessThan(40);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    },
  );

  it.each([
    ['person-', 'planned with its values', ['person-a'], 'person-b', false],
    ['heartbeat', 'planned with its values', ['heartbeat-nightly', 'heartbeats'], 'heartbeat-nightly', false],
    [
      'person-',
      'as a subscription reads it, with the head, planned once for any values',
      ['person-a'],
      'person-b',
      true,
    ],
  ])(
    'a follower of %s woken after a storm of other streams reads its few new events without walking the storm: %s',
    async (streamPrefix, _how, before, after, asSubscription) => {
      const schema = uniqueSchema('klaxon_behind');
      const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
      try {
        // A long past of its own (a monitor's beats, a team's changes) that the planner's statistics show...
        for (const stream of before)
          for (let batch = 0; batch < 10; batch++)
            await store.append(
              stream,
              Array.from({ length: 1000 }, (_, n) => ({ type: 'Made', data: { n }, metadata: {} })),
              'any',
            );
        const from = (await store.headPosition())!;
        // 20,000 incident events since the follower's last read, then one of its own.
        for (let batch = 0; batch < 20; batch++)
          await Promise.all(
            Array.from({ length: 10 }, (_, i) =>
              store.append(
                `incident-${batch * 10 + i}`,
                Array.from({ length: 100 }, (_, n) => ({ type: 'AlertAttached', data: { n }, metadata: {} })),
                'no_stream',
              ),
            ),
          );
        await store.append(after, [{ type: 'Made', data: {}, metadata: {} }], 'any');
        // ...so, with statistics, as any table some minutes old, the planner expects the follower's events
        // among the newest too, and the primary key's walk from `from` looks as cheap as the category's index.
        await withSql((client) => client.query(`ANALYZE "${schema}".events`));
        const plan = await planOfRead(schema, streamPrefix, store, {
          after: from,
          generic: asSubscription,
          head: asSubscription,
        });
        expect(plan['Actual Rows']).toBe(1);
        // Walking the storm by position is hundreds of pages.
        expect(blocksOf(plan)).toBeLessThan(24);
      } finally {
        await store.close();
        await dropSchema(schema);
      }
    },
  );

  it('a store already migrated opens while another session reads the table: no lock taken for nothing', async () => {
    const schema = uniqueSchema('klaxon_nolock');
    const first = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    await first.append('incident-1', [{ type: 'Opened', data: {}, metadata: {} }], 'no_stream');
    const reader = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await reader.connect();
    try {
      // A long read holds its lock on the table until it commits; dropping a constraint or an index, even
      // one that is not there, would wait for it, and every read and append would queue behind that wait.
      await reader.query('BEGIN');
      await reader.query(`SELECT count(*) FROM "${schema}".events`);
      const opened = openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
      const waited = await Promise.race([
        opened.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 5000)),
      ]);
      await reader.query('COMMIT');
      await (await opened).close();
      expect(waited).toBe(false);
    } finally {
      await reader.end();
      await first.close();
      await dropSchema(schema);
    }
  });

  it('a store made before the category index gets it, and loses the index and constraint it replaced', async () => {
    const schema = uniqueSchema('klaxon_migrate');
    const table = `"${schema}".events`;
    await withSql(async (client) => {
      await createJsonbTable(client, schema, { uniqueEventId: true });
      await client.query(`CREATE INDEX events_stream_prefix ON ${table} (stream_id text_pattern_ops, position)`);
      await client.query(
        `INSERT INTO ${table} (event_id, stream_id, revision, type, data) VALUES
          (gen_random_uuid(), 'incident-1', 0, 'Opened', '{"n":1}'), (gen_random_uuid(), 'person-a', 0, 'Named', '{"n":2}')`,
      );
    });
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      const indexes = await withSql(async (client) => {
        const { rows } = await client.query<{ indexname: string }>(
          'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
          [schema],
        );
        return rows.map((r) => r.indexname);
      });
      expect(indexes).toEqual(['events_category', 'events_pkey', 'events_stream_id_revision_key']);
      const read = await store.readAll({ after: 0n, limit: 10, streamPrefix: 'person-' });
      expect(read.map((x) => [x.streamId, x.data])).toEqual([['person-a', { n: 2 }]]);
      expect((await store.append('incident-1', [{ type: 'Acked', data: {}, metadata: {} }], 0)).ok).toBe(true);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});

interface PlanNode {
  'Actual Rows': number;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

const indexesOf = (node: PlanNode): string[] => [
  ...(node['Index Name'] ? [node['Index Name']] : []),
  ...(node.Plans ?? []).flatMap(indexesOf),
];

describe.runIf(available)('PostgreSQL storage of events', () => {
  // lz4 where the server offers it (PostgreSQL 14 or later, built with it), else the default.
  const lz4 = () =>
    withSql(async (client) => {
      const { rows } = await client.query<{ lz4: boolean }>(
        `SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`,
      );
      return rows[0]?.lz4 ? 'l' : '';
    });
  const columnsOf = (schema: string) =>
    withSql(async (client) => {
      const { rows } = await client.query<{ attname: string; type: string; compression: string }>(
        `SELECT attname, format_type(atttypid, atttypmod) AS type, attcompression AS compression
         FROM pg_attribute WHERE attrelid = $1::regclass AND attname IN ('data', 'metadata') ORDER BY attname`,
        [`"${schema}".events`],
      );
      return rows.map((r) => [r.attname, r.type, r.compression]);
    });

  it('a new store keeps events as json, compressed with lz4, and reads back exactly what was written', async () => {
    const schema = uniqueSchema('klaxon_json');
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      expect(await columnsOf(schema)).toEqual([
        ['data', 'json', await lz4()],
        ['metadata', 'json', await lz4()],
      ]);
      // Over 2 kB, so PostgreSQL compresses it where it keeps it.
      const big = { alerts: Array.from({ length: 200 }, (_, i) => ({ fingerprint: `f${i}`, labels: { a: 'b' } })) };
      expect(
        (await store.append('incident-1', [{ type: 'Attached', data: big, metadata: { by: 'x' } }], 'no_stream')).ok,
      ).toBe(true);
      const [read] = await store.readStream('incident-1');
      expect(read!.data).toEqual(big);
      expect(read!.metadata).toEqual({ by: 'x' });
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('a store made with jsonb columns keeps them, compresses new events with lz4, and still refuses text jsonb cannot keep, alone', async () => {
    const schema = uniqueSchema('klaxon_jsonb');
    await withSql((client) => createJsonbTable(client, schema, { uniqueEventId: false }));
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      expect(await columnsOf(schema)).toEqual([
        ['data', 'jsonb', await lz4()],
        ['metadata', 'jsonb', await lz4()],
      ]);
      const results = await Promise.allSettled([
        store.append('incident-1', [{ type: 'Opened', data: { n: 1 }, metadata: { by: 'x' } }], 'no_stream'),
        store.append('incident-2', [{ type: 'Opened', data: { title: 'nul \u0000 here' } }], 'no_stream'),
        store.append('incident-3', [{ type: 'Opened', data: { n: 3 } }], 'no_stream'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(UnstorableEvents);
      const read = await store.readAll({ after: 0n, limit: 10 });
      expect(read.map((x) => [x.streamId, x.data, x.metadata])).toEqual([
        ['incident-1', { n: 1 }, { by: 'x' }],
        ['incident-3', { n: 3 }, {}],
      ]);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});

describe.runIf(available)('PostgreSQL appends', () => {
  it('the append function is made once: a store opened again leaves it as it is', async () => {
    const schema = uniqueSchema('klaxon_fn');
    const version = () =>
      withSql(async (client) => {
        const { rows } = await client.query<{ xmin: string }>(
          `SELECT p.xmin::text AS xmin FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = $1 AND p.proname = 'append_events_v1'`,
          [schema],
        );
        return rows.map((r) => r.xmin);
      });
    try {
      await (await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema })).close();
      const made = await version();
      expect(made).toHaveLength(1);
      const again = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
      expect((await again.append('incident-1', [{ type: 'Opened', data: {} }], 'no_stream')).ok).toBe(true);
      await again.close();
      expect(await version()).toEqual(made);
    } finally {
      await dropSchema(schema);
    }
  });

  it('a schema whose name makes the notice channel longer than 63 bytes (not characters) appends and wakes its subscribers', async () => {
    const schema = `klaxon_${'ü'.repeat(25)}_${Math.random().toString(36).slice(2, 6)}`;
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, pollMs: 60_000 });
    const seen: string[] = [];
    const subscription = store.subscribe({ onEvents: (events) => void seen.push(...events.map((e) => e.streamId)) });
    try {
      await subscription.caughtUp();
      expect((await store.append('incident-1', [{ type: 'Opened', data: {} }], 'no_stream')).ok).toBe(true);
      // Polled once a minute: only the notice can wake it within the wait.
      await vi.waitFor(() => expect(seen).toEqual(['incident-1']), { timeout: 5000, interval: 20 });
    } finally {
      await subscription.stop();
      await store.close();
      await dropSchema(schema);
    }
  });

  it('an expected revision no stream can have (negative, fractional) is a conflict, never read as a named expectation', async () => {
    const schema = uniqueSchema('klaxon_expect');
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      for (const expected of [-1, -2, -3, 0.5])
        expect(await store.append('incident-1', [{ type: 'Opened', data: {} }], expected)).toEqual({
          ok: false,
          error: { code: 'WrongExpectedRevision', streamId: 'incident-1', expected, actual: 'no_stream' },
        });
      expect(await store.readStream('incident-1')).toEqual([]);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it("an append waits for the append lock another writer holds, and is checked against that writer's commit", async () => {
    const schema = uniqueSchema('klaxon_lock');
    const table = `"${schema}".events`;
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
      expect((await store.append('incident-1', [{ type: 'Opened', data: {} }], 'no_stream')).ok).toBe(true);
      // Another writer (an instance of this version or the one before, which took the same lock as a
      // statement of its own) holds the lock and appends revision 1.
      await other.query('BEGIN');
      await other.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
      await other.query(
        `INSERT INTO ${table} (event_id, stream_id, revision, type, data) VALUES (gen_random_uuid(), 'incident-1', 1, 'Acked', '{}')`,
      );
      let settled = false;
      const appending = store.append('incident-1', [{ type: 'Resolved', data: {} }], 0).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(settled).toBe(false);
      await other.query('COMMIT');
      // Read under the lock, after the other commit: a conflict at revision 1, not a duplicate revision.
      expect(await appending).toEqual({
        ok: false,
        error: { code: 'WrongExpectedRevision', streamId: 'incident-1', expected: 0, actual: 1 },
      });
      expect((await store.append('incident-1', [{ type: 'Resolved', data: {} }], 1)).ok).toBe(true);
      expect((await store.readStream('incident-1')).map((e) => e.type)).toEqual(['Opened', 'Acked', 'Resolved']);
    } finally {
      await other.end();
      await store.close();
      await dropSchema(schema);
    }
  });

  it("a group commit's read of its streams' revisions touches a few index pages, however long a stream is", async () => {
    const schema = uniqueSchema('klaxon_revisions');
    const store = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      // A storm's incident: thousands of alerts attached to one stream.
      for (let batch = 0; batch < 5; batch++)
        await store.append(
          'incident-storm',
          Array.from({ length: 1000 }, (_, n) => ({ type: 'AlertAttached', data: { n }, metadata: {} })),
          'any',
        );
      await store.append('incident-quiet', [{ type: 'Opened', data: {}, metadata: {} }], 'no_stream');
      const streams = ['incident-storm', 'incident-quiet', 'incident-new'];
      const table = `"${schema}".events`;
      const { latest, plan } = await withSql(async (client) => {
        await client.query('SET plan_cache_mode = force_generic_plan');
        await client.query(`PREPARE latest(text[]) AS ${latestRevisions(table)}`);
        const literal = client.escapeLiteral(`{${streams.join(',')}}`);
        const { rows } = await client.query<{ stream_id: string; revision: string | null }>(
          `EXECUTE latest(${literal})`,
        );
        const explained = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE latest(${literal})`,
        );
        return { latest: rows, plan: explained.rows[0]!['QUERY PLAN'][0]!.Plan };
      });
      expect(latest).toEqual([
        { stream_id: 'incident-storm', revision: '4999' },
        { stream_id: 'incident-quiet', revision: '0' },
        { stream_id: 'incident-new', revision: null },
      ]);
      // One descent of the index per stream; reading the storm's 5,000 entries and their rows is hundreds.
      expect(indexesOf(plan)).toContain('events_stream_id_revision_key');
      expect(plan['Shared Hit Blocks'] + plan['Shared Read Blocks']).toBeLessThan(16);
      // And the store's own appends go on from there.
      expect((await store.append('incident-storm', [{ type: 'AlertAttached', data: {} }], 4999)).ok).toBe(true);
      expect((await store.append('incident-new', [{ type: 'Opened', data: {} }], 'no_stream')).ok).toBe(true);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });
});
