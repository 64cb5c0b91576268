import { incidentEventSchema, INCIDENT_STREAM_PREFIX, type IncidentEvent } from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import {
  INCIDENT_COLUMNS,
  PAGE_COLUMNS,
  REDUCED_TYPES,
  reduce,
  type IncidentRecord,
  type PageRecord,
  type Rows,
} from './row-reducer.ts';
import { readCheckpoint, writeCheckpoint, type Tables } from './schema.ts';
import type { SqlTx, SqlValue } from './sql-database.ts';

// Rows per statement: 18 columns × 500 stays far below both databases' limits on bound parameters.
const CHUNK = 500;

const chunks = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / CHUNK) }, (_, i) => items.slice(i * CHUNK, (i + 1) * CHUNK));

async function load(tx: SqlTx, t: Tables, incidentIds: string[]): Promise<Rows> {
  const rows: Rows = { incidents: new Map(), pages: new Map() };
  for (const ids of chunks(incidentIds)) {
    const marks = ids.map(() => '?').join(', ');
    for (const r of await tx.all(`SELECT * FROM ${t.incidents} WHERE incident_id IN (${marks})`, ids)) {
      const row = r as unknown as IncidentRecord;
      rows.incidents.set(row.incident_id, {
        ...row,
        number: Number(row.number),
        highest_level: Number(row.highest_level),
        escalations: Number(row.escalations),
        pages: Number(row.pages),
        reopened: Number(row.reopened),
      });
    }
    for (const r of await tx.all(`SELECT * FROM ${t.pages} WHERE incident_id IN (${marks})`, ids)) {
      const page = r as unknown as PageRecord;
      rows.pages.set(`${page.incident_id}/${page.page_id}`, { ...page, level: Number(page.level) });
    }
  }
  return rows;
}

async function upsert<R extends object>(
  tx: SqlTx,
  table: string,
  columns: Array<keyof R & string>,
  key: string[],
  records: R[],
): Promise<void> {
  const updates = columns
    .filter((c) => !key.includes(c))
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  for (const part of chunks(records)) {
    const values = part.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ');
    const params = part.flatMap((r) => columns.map((c) => r[c] as SqlValue));
    await tx.run(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${values} ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates}`,
      params,
    );
  }
}

/**
 * Applies a batch and moves the checkpoint in the caller's transaction. The checkpoint is read inside
 * it too, and events at or before it are skipped: whatever crashed or raced before, nothing counts twice.
 * The rows a batch touches are read once, changed in memory and written back once.
 */
export async function applyBatch(
  tx: SqlTx,
  t: Tables,
  records: RecordedEvent[],
): Promise<{ applied: number; position: bigint | undefined }> {
  const checkpoint = await readCheckpoint(tx, t);
  const fresh = records.filter((r) => checkpoint === undefined || r.position > checkpoint);
  const events: Array<{ incidentId: string; event: IncidentEvent }> = [];
  let applied = 0;
  for (const record of fresh) {
    if (!record.streamId.startsWith(INCIDENT_STREAM_PREFIX)) continue;
    applied++;
    // In a storm most events are alerts attached, which change no row: skipped before their data is checked.
    if (!REDUCED_TYPES.has(record.type as IncidentEvent['type'])) continue;
    events.push({
      incidentId: record.streamId.slice(INCIDENT_STREAM_PREFIX.length),
      event: incidentEventSchema.parse({ type: record.type, data: record.data }),
    });
  }
  if (events.length > 0) {
    const touched = [...new Set(events.map((e) => e.incidentId))];
    const rows = await load(tx, t, touched);
    const before = {
      incidents: new Map([...rows.incidents].map(([k, v]) => [k, JSON.stringify(v)])),
      pages: new Map([...rows.pages].map(([k, v]) => [k, JSON.stringify(v)])),
    };
    for (const { incidentId, event } of events) reduce(rows, incidentId, event);
    const changed = <R>(now: Map<string, R>, then: Map<string, string>) =>
      [...now].filter(([k, v]) => then.get(k) !== JSON.stringify(v)).map(([, v]) => v);
    await upsert(tx, t.incidents, INCIDENT_COLUMNS, ['incident_id'], changed(rows.incidents, before.incidents));
    await upsert(tx, t.pages, PAGE_COLUMNS, ['incident_id', 'page_id'], changed(rows.pages, before.pages));
  }
  const position = fresh.at(-1)?.position ?? checkpoint;
  if (position !== undefined && position !== checkpoint) {
    await writeCheckpoint(tx, t, position);
  }
  return { applied, position };
}
