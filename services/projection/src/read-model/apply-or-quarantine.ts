import type { RecordedEvent } from '@klaxon/event-store';
import { isEventRefusal } from './event-refusal.ts';
import { applyBatch } from './projector.ts';
import { quarantine } from './quarantine.ts';
import type { Tables } from './schema.ts';
import type { SqlDatabase } from './sql-database.ts';

export interface QuarantinedEvent {
  record: RecordedEvent;
  reason: string;
}

/** A failure that is the event's, not the database's: the database is answering, so it refused the event. */
async function refusedByEvent(db: SqlDatabase, error: unknown): Promise<boolean> {
  if (!isEventRefusal(error)) return false;
  try {
    await db.all('SELECT 1 AS one');
    return true;
  } catch {
    return false;
  }
}

/** One event in a transaction of its own, tried twice: a failure that passes is not the event's. */
async function applyAlone(db: SqlDatabase, t: Tables, record: RecordedEvent) {
  try {
    return await db.transaction((tx) => applyBatch(tx, t, [record]));
  } catch {
    return await db.transaction((tx) => applyBatch(tx, t, [record]));
  }
}

/**
 * Applies a batch in one transaction. When it fails while the database answers, an event of it cannot be
 * applied (text PostgreSQL refuses, an instant outside TIMESTAMPTZ, a shape the schema refuses): the events
 * are then applied one at a time, and each that fails alone, twice, is quarantined, the checkpoint moved past it,
 * so the read models go on. A failure of the database itself is thrown, to be waited out and retried.
 */
export async function applyOrQuarantine(
  db: SqlDatabase,
  t: Tables,
  batch: RecordedEvent[],
  now: () => Date,
): Promise<{ applied: number; quarantined: QuarantinedEvent[] }> {
  try {
    const { applied } = await db.transaction((tx) => applyBatch(tx, t, batch));
    return { applied, quarantined: [] };
  } catch (error) {
    if (!(await refusedByEvent(db, error))) throw error;
  }
  let applied = 0;
  const quarantined: QuarantinedEvent[] = [];
  for (const record of batch) {
    try {
      applied += (await applyAlone(db, t, record)).applied;
    } catch (error) {
      if (!(await refusedByEvent(db, error))) throw error;
      const reason = (error as Error).message ?? String(error);
      await db.transaction((tx) => quarantine(tx, t, record, reason, now()));
      quarantined.push({ record, reason });
    }
  }
  return { applied, quarantined };
}
