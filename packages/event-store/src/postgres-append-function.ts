import { err, ok } from '@klaxon/domain';
import { checkExpectedRevision } from './event-store.ts';
import type { AppendOutcome, PendingAppend } from './pending-append.ts';
import { latestRevisions } from './postgres-revisions.ts';

/** The function's name in the store's schema; a new version gets a new name, so that instances of an older
 * release, still running during an upgrade, keep calling the function they know. */
export const APPEND_FUNCTION = 'append_events_v1';

/** Expected revisions other than a number, as the function takes them; a number no revision can be fits nothing. */
const EXPECTED_CODES = { no_stream: -1, stream_exists: -2, any: -3, impossible: -4 } as const;

/**
 * A group commit as one statement, and so one round trip: the append lock, the streams' revisions read under
 * it, each append's expected-revision check in the batch's order (a later append to a stream sees the
 * earlier ones), the insert of the accepted appends' events and the notice, committed together when the
 * statement ends. As four statements (`BEGIN` with the lock, the revisions, the insert, `NOTIFY` with
 * `COMMIT`) it was four round trips, each waking a sleeping process at both ends.
 *
 * The lock comes before the read because a function that may change data takes a new snapshot for each of
 * its statements: the read sees every append committed before the lock was granted, as it did as a
 * statement of its own.
 *
 * One row per append, in order: `last_revision` and `event_position` (its last event's) when it was
 * accepted; else `actual`, the stream's revision then (-1: no stream).
 */
export function appendFunction(schema: string, table: string): { body: string; ddl: string } {
  const body = `
  #variable_conflict use_column
  DECLARE
    n integer := cardinality(streams);
    known_streams text[];
    known_revisions bigint[];
    firsts bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    lasts bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    actuals bigint[] := array_fill(NULL::bigint, ARRAY[n]);
    k integer;
    current_revision bigint;
    wanted bigint;
    accepted boolean := false;
  BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT array_agg(r.stream_id), array_agg(r.revision) INTO known_streams, known_revisions
    FROM (${latestRevisions(table, 'ARRAY(SELECT DISTINCT unnest(streams))')}) r;
    FOR i IN 1 .. n LOOP
      k := array_position(known_streams, streams[i]);
      current_revision := known_revisions[k];
      wanted := expected[i];
      IF wanted = -3 OR (wanted = -1 AND current_revision IS NULL)
         OR (wanted = -2 AND current_revision IS NOT NULL) OR wanted = current_revision THEN
        firsts[i] := coalesce(current_revision + 1, 0);
        lasts[i] := firsts[i] + counts[i] - 1;
        known_revisions[k] := lasts[i];
        accepted := true;
      ELSE
        actuals[i] := coalesce(current_revision, -1);
      END IF;
    END LOOP;
    -- Each element of the JSON arrays is the text of one event as written (json keeps text as it came),
    -- and a JSON null is a row without metadata.
    RETURN QUERY
    WITH inserted AS (
      INSERT INTO ${table} (event_id, stream_id, revision, type, data, metadata)
      SELECT gen_random_uuid(), streams[e.a], firsts[e.a] + e.seq, e.t, e.d,
        CASE WHEN e.m::text = 'null' THEN NULL ELSE e.m END
      FROM ROWS FROM (unnest(event_append), unnest(event_seq), unnest(types),
        json_array_elements(data), json_array_elements(metadata)) WITH ORDINALITY AS e(a, seq, t, d, m, ord)
      WHERE firsts[e.a] IS NOT NULL
      ORDER BY e.ord
      RETURNING position, stream_id, revision)
    SELECT actuals[j], lasts[j], ins.position
    FROM generate_subscripts(streams, 1) AS j
    LEFT JOIN inserted ins ON ins.stream_id = streams[j] AND ins.revision = lasts[j]
    ORDER BY j;
    IF accepted THEN
      PERFORM pg_notify(channel, notice);
    END IF;
  END
  `;
  // Dollar quotes whose tag the body (the table's name) does not hold.
  let tag = '$body$';
  for (let n = 1; body.includes(tag); n++) tag = `$body${n}$`;
  const ddl = `
  CREATE OR REPLACE FUNCTION ${schema}.${APPEND_FUNCTION}(
    lock_key bigint, streams text[], expected bigint[], counts integer[], event_append integer[],
    event_seq integer[], types text[], data json, metadata json, channel text, notice text)
  RETURNS TABLE (actual bigint, last_revision bigint, event_position bigint)
  LANGUAGE plpgsql VOLATILE AS ${tag}${body}${tag}`;
  return { body, ddl };
}

/** The function's arguments for a batch, after the lock's key. */
export function appendArguments(batch: PendingAppend[], channel: string, notice: string): unknown[] {
  const streams: string[] = [];
  const expected: number[] = [];
  const counts: number[] = [];
  const eventAppend: number[] = [];
  const eventSeq: number[] = [];
  const types: string[] = [];
  const data: string[] = [];
  const metadata: string[] = [];
  batch.forEach(({ streamId, events, expected: wanted }, i) => {
    streams.push(streamId);
    expected.push(
      typeof wanted !== 'number'
        ? EXPECTED_CODES[wanted]
        : Number.isSafeInteger(wanted) && wanted >= 0
          ? wanted
          : EXPECTED_CODES.impossible,
    );
    counts.push(events.length);
    events.forEach((e, seq) => {
      eventAppend.push(i + 1);
      eventSeq.push(seq);
      types.push(e.type);
      data.push(e.data);
      metadata.push(e.metadata ?? 'null');
    });
  });
  // Data and metadata go as one JSON array each, joined from the texts already serialised: as text[]
  // elements, node-postgres escapes every quote and backslash of every event, and PostgreSQL reads the
  // escapes back.
  return [
    streams,
    expected,
    counts,
    eventAppend,
    eventSeq,
    types,
    `[${data.join(',')}]`,
    `[${metadata.join(',')}]`,
    channel,
    notice,
  ];
}

export interface AppendRow {
  actual: string | null;
  last_revision: string | null;
  event_position: string | null;
}

/** Each append's outcome from its row. */
export function appendOutcomes(batch: PendingAppend[], rows: AppendRow[]): AppendOutcome[] {
  if (rows.length !== batch.length)
    throw new Error(`${APPEND_FUNCTION} answered ${rows.length} rows for ${batch.length} appends`);
  return batch.map(({ streamId, expected }, i): AppendOutcome => {
    const row = rows[i]!;
    if (row.last_revision !== null)
      return ok({ nextExpectedRevision: Number(row.last_revision), position: BigInt(row.event_position!) });
    const actual = Number(row.actual);
    const conflict = checkExpectedRevision(streamId, expected, actual < 0 ? 'no_stream' : actual);
    if (!conflict) throw new Error(`${APPEND_FUNCTION} refused an append to ${streamId} that fits revision ${actual}`);
    return err(conflict);
  });
}
