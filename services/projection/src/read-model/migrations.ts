import { createTables, indexes, LIVE, secondaryIndexes, type Dialect, type Tables } from './schema.ts';
import { createQuarantine } from './quarantine.ts';
import type { SqlDatabase, SqlTx } from './sql-database.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: SqlTx, t: Tables, dialect: Dialect): Promise<void>;
}

/**
 * The read models' schema, one versioned step at a time. A step is applied once and recorded in
 * `schema_migrations`; a rebuild makes its fresh tables by running every step. Append, never edit.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'incidents, pages and the projection checkpoint',
    // IF NOT EXISTS: databases from before versioning already have these tables.
    up: (db, t, dialect) => createTables(db, t, dialect),
  },
  {
    version: 2,
    name: 'indexes on opening time and on pages per contact, under fixed names',
    async up(db, t, dialect) {
      // Before versioning every start added a pair of indexes under random names; keep only these.
      const wanted = indexes(t);
      for (const name of await secondaryIndexes(db, t, dialect)) {
        if (!wanted.some((w) => w.name === name)) await db.run(`DROP INDEX ${name}`);
      }
      for (const index of wanted)
        await db.run(`CREATE INDEX IF NOT EXISTS ${index.name} ON ${index.table} (${index.columns})`);
    },
  },
  {
    version: 3,
    name: 'the quarantine: events the projection could not apply, with why',
    up: (db) => createQuarantine(db),
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Creates a fresh set of tables at the current schema (a rebuild's), recording nothing. */
export async function createAtCurrentVersion(db: SqlTx, t: Tables, dialect: Dialect): Promise<void> {
  for (const migration of MIGRATIONS) await migration.up(db, t, dialect);
}

/** Brings the live read models to the current schema; returns the versions it applied. */
export async function migrate(db: SqlDatabase): Promise<number[]> {
  return db.transaction(async (tx) => {
    // On PostgreSQL concurrent DDL can fail on pg_class: starters take turns, and the later ones find it done.
    if (db.dialect === 'postgres')
      await tx.all("SELECT pg_advisory_xact_lock(hashtext('klaxon-ddl:read-models'))::text AS locked");
    await tx.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
    );
    const applied = new Set((await tx.all('SELECT version FROM schema_migrations')).map((r) => Number(r.version)));
    const done: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await migration.up(tx, LIVE, db.dialect);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        new Date().toISOString(),
      ]);
      done.push(migration.version);
    }
    return done;
  });
}
