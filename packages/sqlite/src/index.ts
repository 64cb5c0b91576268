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
  /** How long a statement waits for another connection's lock, and the open for WAL mode. Default 10 s. */
  busyTimeoutMs?: number;
}

/** Every embedded adapter opens its file the same way: WAL, so readers never block the writer, and a wait for the lock. */
export function openSqliteFile(file: string, options: SqliteFileOptions): Database.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
  const db = new Database(file, { timeout: busyTimeoutMs });
  try {
    enterWalMode(db, busyTimeoutMs);
    db.pragma(`synchronous = ${options.synchronous}`);
  } catch (error) {
    db.close();
    throw error;
  }
  if (options.safeIntegers) db.defaultSafeIntegers(true);
  return db;
}

/**
 * A new file becomes WAL in a write transaction that SQLite starts inside a read one, where it never calls
 * the busy handler: when `pnpm start`'s threads create the same file at once, all but one were refused
 * SQLITE_BUSY at once and the service exited at start. So the switch is retried here until the busy
 * timeout has passed (an attempt may itself wait in SQLite's handler: at worst about twice the timeout).
 */
function enterWalMode(db: Database.Database, timeoutMs: number): void {
  const deadline = performance.now() + timeoutMs;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || performance.now() + pauseMs > deadline) throw error;
      // Only at open, before the service runs: a blocking pause, as SQLite's own busy handler is.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
    }
  }
}
