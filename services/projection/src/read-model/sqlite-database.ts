import type { Statement } from 'better-sqlite3';
import { openSqliteFile } from '@klaxon/sqlite';
import type { Row, SqlDatabase, SqlTx, SqlValue } from './sql-database.ts';

export function openSqliteDatabase(file: string): SqlDatabase {
  // Read models can always be rebuilt from the event store.
  const db = openSqliteFile(file, { synchronous: 'NORMAL' });
  const statements = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  const tx: SqlTx = {
    async run(sql, params: SqlValue[] = []) {
      if (params.length === 0 && /;\s*\S/.test(sql)) db.exec(sql);
      else prepare(sql).run(...params);
    },
    async all(sql, params: SqlValue[] = []) {
      return prepare(sql).all(...params) as Row[];
    },
  };
  let queue: Promise<unknown> = Promise.resolve();
  return {
    dialect: 'sqlite',
    ...tx,
    transaction<T>(work: (t: SqlTx) => Promise<T>): Promise<T> {
      // One connection: transactions take turns, and IMMEDIATE keeps other processes out while one runs.
      const next = queue.then(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await work(tx);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        } finally {
          statements.clear();
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      await queue;
      db.close();
    },
  };
}
