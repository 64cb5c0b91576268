import Database from 'better-sqlite3';

export type { Database } from 'better-sqlite3';

export interface SqliteFileOptions {
  /**
   * FULL where an acknowledgement promises durability through power loss (event store, bus); NORMAL
   * where the data can be rebuilt (read models) — WAL keeps it consistent through a crash either way.
   */
  synchronous: 'FULL' | 'NORMAL';
  /** 64-bit integers come back as bigint (global positions, offsets). */
  safeIntegers?: boolean;
}

/** Every embedded adapter opens its file the same way: WAL, so readers never block the writer, and a wait for the lock. */
export function openSqliteFile(file: string, options: SqliteFileOptions): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous}`);
  db.pragma('busy_timeout = 10000');
  if (options.safeIntegers) db.defaultSafeIntegers(true);
  return db;
}
