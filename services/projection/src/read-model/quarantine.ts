import { storableText } from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import { writeCheckpoint, type Tables } from './schema.ts';
import type { SqlTx } from './sql-database.ts';

/**
 * Events the projection could not apply, one row each, with why: the read models go on without them.
 * One table for the live and the rebuilt read models alike; a rebuild meets the same events again.
 */
export const QUARANTINE = 'projection_quarantine';

export const createQuarantine = (db: SqlTx) =>
  db.run(`CREATE TABLE IF NOT EXISTS ${QUARANTINE} (
    position       BIGINT PRIMARY KEY,
    stream_id      TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    reason         TEXT NOT NULL,
    recorded_at    TEXT NOT NULL,
    quarantined_at TEXT NOT NULL
  )`);

/** Records the event as quarantined and moves the checkpoint past it, in the caller's transaction. */
export async function quarantine(tx: SqlTx, t: Tables, record: RecordedEvent, reason: string, at: Date): Promise<void> {
  // What is written here must itself be storable: the reason may quote the text that was refused.
  await tx.run(
    `INSERT INTO ${QUARANTINE} (position, stream_id, event_type, reason, recorded_at, quarantined_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (position) DO NOTHING`,
    [
      record.position.toString(),
      storableText(record.streamId),
      storableText(record.type),
      storableText(reason),
      record.recordedAt,
      at.toISOString(),
    ],
  );
  await writeCheckpoint(tx, t, record.position);
}
