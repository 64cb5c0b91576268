import type { SqlTx } from './sql-database.ts';

/** The read models' table names; a rebuild fills a second set and swaps it in. */
export interface Tables {
  incidents: string;
  pages: string;
  checkpoint: string;
}

export const LIVE: Tables = { incidents: 'incidents', pages: 'pages', checkpoint: 'projection_checkpoint' };
export const REBUILD: Tables = { incidents: 'incidents_rebuild', pages: 'pages_rebuild', checkpoint: 'projection_checkpoint_rebuild' };

/**
 * The documented schema (README, "KPI read models"): one row per incident with its timestamps and
 * figures, one row per page, and the position of the last event applied, written in the same transaction.
 */
export async function createTables(db: SqlTx, t: Tables, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // Run inside a transaction: on PostgreSQL concurrent `IF NOT EXISTS` DDL can fail, so creators take turns.
  if (dialect === 'postgres') await db.all("SELECT pg_advisory_xact_lock(hashtext('klaxon-ddl:read-models'))::text AS locked");
  const ts = dialect === 'postgres' ? 'TIMESTAMPTZ' : 'TEXT';
  const suffix = Math.random().toString(36).slice(2, 8);
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${t.incidents} (
      incident_id     TEXT PRIMARY KEY,
      number          INTEGER NOT NULL,
      severity        TEXT NOT NULL,
      service         TEXT NOT NULL,
      policy          TEXT NOT NULL,
      title           TEXT NOT NULL,
      group_key       TEXT NOT NULL,
      status          TEXT NOT NULL,
      alert_starts_at ${ts} NOT NULL,
      opened_at       ${ts} NOT NULL,
      first_ack_at    ${ts},
      acknowledged_by TEXT,
      resolved_at     ${ts},
      resolved_by     TEXT,
      highest_level   INTEGER NOT NULL,
      escalations     INTEGER NOT NULL DEFAULT 0,
      pages           INTEGER NOT NULL DEFAULT 0,
      reopened        INTEGER NOT NULL DEFAULT 0
    )`,
    `CREATE TABLE IF NOT EXISTS ${t.pages} (
      incident_id  TEXT NOT NULL,
      page_id      TEXT NOT NULL,
      contact      TEXT NOT NULL,
      channel      TEXT NOT NULL,
      level        INTEGER NOT NULL,
      purpose      TEXT NOT NULL,
      requested_at ${ts} NOT NULL,
      outcome      TEXT NOT NULL,
      PRIMARY KEY (incident_id, page_id)
    )`,
    `CREATE TABLE IF NOT EXISTS ${t.checkpoint} (id INTEGER PRIMARY KEY, position TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS ${t.incidents}_opened_${suffix} ON ${t.incidents} (opened_at)`,
    `CREATE INDEX IF NOT EXISTS ${t.pages}_contact_${suffix} ON ${t.pages} (contact, requested_at)`,
  ];
  for (const sql of statements) await db.run(sql);
}

export async function dropTables(db: SqlTx, t: Tables): Promise<void> {
  for (const table of [t.incidents, t.pages, t.checkpoint]) await db.run(`DROP TABLE IF EXISTS ${table}`);
}

export async function readCheckpoint(db: SqlTx, t: Tables): Promise<bigint | undefined> {
  const [row] = await db.all(`SELECT position FROM ${t.checkpoint} WHERE id = 1`);
  return row ? BigInt(row.position as string) : undefined;
}
