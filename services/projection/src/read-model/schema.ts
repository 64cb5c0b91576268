import type { SqlTx } from './sql-database.ts';

export type Dialect = 'sqlite' | 'postgres';

/** The read models' table names; a rebuild fills a second set and swaps it in. */
export interface Tables {
  incidents: string;
  pages: string;
  checkpoint: string;
}

export const LIVE: Tables = { incidents: 'incidents', pages: 'pages', checkpoint: 'projection_checkpoint' };
export const REBUILD: Tables = {
  incidents: 'incidents_rebuild',
  pages: 'pages_rebuild',
  checkpoint: 'projection_checkpoint_rebuild',
};

/**
 * The documented schema (README, "KPI read models"): one row per incident with its timestamps and
 * figures, one row per page, and the position of the last event applied, written in the same transaction.
 * It grows only through `migrations.ts`; these are the tables as its first migration made them.
 */
export async function createTables(db: SqlTx, t: Tables, dialect: Dialect): Promise<void> {
  const ts = dialect === 'postgres' ? 'TIMESTAMPTZ' : 'TEXT';
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
  ];
  for (const sql of statements) await db.run(sql);
}

/** The secondary indexes, named after their table so that a rebuild's set never collides with the live one. */
export const indexes = (t: Tables) => [
  { name: `${t.incidents}_opened_at`, table: t.incidents, columns: 'opened_at' },
  { name: `${t.pages}_contact_requested_at`, table: t.pages, columns: 'contact, requested_at' },
];

/** Names of the indexes on the tables, primary keys and SQLite's automatic ones left out. */
export async function secondaryIndexes(db: SqlTx, t: Tables, dialect: Dialect): Promise<string[]> {
  const tables = [t.incidents, t.pages];
  const rows =
    dialect === 'postgres'
      ? await db.all(
          `SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = current_schema() AND t.relname IN (?, ?) AND NOT i.indisprimary ORDER BY 1`,
          tables,
        )
      : await db.all(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN (?, ?) AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY 1",
          tables,
        );
  return rows.map((r) => String(r.name));
}

/** After a rebuild's tables were renamed to the live names, their indexes (and primary keys) take the live names too. */
export async function renameIndexes(db: SqlTx, from: Tables, to: Tables, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    for (const table of [to.incidents, to.pages, to.checkpoint]) {
      const [pk] = await db.all("SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(?) AND contype = 'p'", [
        table,
      ]);
      if (pk && pk.conname !== `${table}_pkey`)
        await db.run(`ALTER TABLE ${table} RENAME CONSTRAINT ${String(pk.conname)} TO ${table}_pkey`);
    }
  }
  const targets = indexes(to);
  for (const [i, index] of indexes(from).entries()) {
    const target = targets[i]!;
    if (dialect === 'postgres') {
      await db.run(`ALTER INDEX IF EXISTS ${index.name} RENAME TO ${target.name}`);
    } else {
      // SQLite cannot rename an index: build it again under its live name, inside the swap's transaction.
      await db.run(`DROP INDEX IF EXISTS ${index.name}`);
      await db.run(`CREATE INDEX IF NOT EXISTS ${target.name} ON ${target.table} (${target.columns})`);
    }
  }
}

export async function dropTables(db: SqlTx, t: Tables): Promise<void> {
  for (const table of [t.incidents, t.pages, t.checkpoint]) await db.run(`DROP TABLE IF EXISTS ${table}`);
}

export async function readCheckpoint(db: SqlTx, t: Tables): Promise<bigint | undefined> {
  const [row] = await db.all(`SELECT position FROM ${t.checkpoint} WHERE id = 1`);
  return row ? BigInt(row.position as string) : undefined;
}

export async function writeCheckpoint(db: SqlTx, t: Tables, position: bigint): Promise<void> {
  await db.run(
    `INSERT INTO ${t.checkpoint} (id, position) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET position = excluded.position`,
    [position.toString()],
  );
}
