import Database from 'better-sqlite3';
import { walCheckpointer, type WalCheckpointer } from './wal-checkpointer.ts';

export type { Database } from 'better-sqlite3';
export {
  WalCheckpointer,
  walCheckpointer,
  type WalCheckpointerOptions,
  type WalCheckpointStats,
} from './wal-checkpointer.ts';

export interface SqliteFileOptions {
  /**
   * FULL where an acknowledgement promises durability through power loss (event store, bus); NORMAL
   * where the data can be rebuilt (read models) — WAL keeps it consistent through a crash either way.
   */
  synchronous: 'FULL' | 'NORMAL';
  /** 64-bit integers come back as bigint (global positions, offsets). */
  safeIntegers?: boolean;
  /** Which checkpointer copies the WAL into the file: this thread's unless told. */
  checkpointer?: WalCheckpointer;
}

/** A connection that lets its checkpointer know before it closes. */
class CheckpointedDatabase extends Database {
  #release = () => {};

  followedBy(checkpointer: WalCheckpointer): void {
    this.#release = checkpointer.register(this.name, this);
  }

  override close(): this {
    this.#release();
    return super.close();
  }
}

/**
 * Every embedded adapter opens its file the same way: WAL, so readers never block the writer, and a wait for
 * the lock; its checkpoints run on a thread of their own (wal-checkpointer.ts), not inside its commits. That
 * takes nothing from a commit's durability: a commit is durable once its frames are in the WAL and the WAL is
 * synced (as `synchronous` says), and a checkpoint only copies frames already durable into the main file.
 */
export function openSqliteFile(file: string, options: SqliteFileOptions): Database.Database {
  const db = new CheckpointedDatabase(file);
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  db.pragma(`synchronous = ${options.synchronous}`);
  db.pragma('busy_timeout = 10000');
  if (mode === 'wal') db.followedBy(options.checkpointer ?? walCheckpointer);
  if (options.safeIntegers) db.defaultSafeIntegers(true);
  return db;
}
