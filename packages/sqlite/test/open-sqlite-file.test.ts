import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { tempDir } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteFile } from '../src/index.ts';

const betterSqlite3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Another thread of the same process creating the same new file, as `pnpm start`'s threads do: it holds the
 * write lock of its first transaction for `holdMs`. Resolves once it holds it; `released` once it let go.
 */
async function anotherThreadCreating(file: string, holdMs: number) {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.betterSqlite3);
     const db = new Database(workerData.file);
     db.exec('BEGIN IMMEDIATE');
     db.exec('CREATE TABLE made_by_the_other (x)');
     parentPort.postMessage('holding');
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
     db.exec('COMMIT');
     db.close();`,
    { eval: true, workerData: { file, holdMs, betterSqlite3 } },
  );
  await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject));
  const released = new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
  return { released };
}

describe('openSqliteFile on a new file another thread is creating', () => {
  const dirs: Array<ReturnType<typeof tempDir>> = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  const newFile = () => {
    const dir = tempDir('klaxon-sqlite-open-');
    dirs.push(dir);
    return join(dir.path, 'shared.db');
  };

  it('waits for its lock and opens the file in WAL mode (SQLite alone refuses SQLITE_BUSY at once)', async () => {
    const file = newFile();
    const other = await anotherThreadCreating(file, 600);
    const started = performance.now();
    const db = openSqliteFile(file, { synchronous: 'FULL' });
    const waitedMs = performance.now() - started;
    await other.released;
    try {
      expect(waitedMs).toBeGreaterThan(150);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual([
        'made_by_the_other',
      ]);
    } finally {
      db.close();
    }
  });

  it('gives up with SQLITE_BUSY once the busy timeout has passed; the file opens once the other let go', async () => {
    const file = newFile();
    const other = await anotherThreadCreating(file, 1500);
    const started = performance.now();
    expect(() => openSqliteFile(file, { synchronous: 'FULL', busyTimeoutMs: 200 })).toThrow(
      expect.objectContaining({ code: 'SQLITE_BUSY' }),
    );
    const waitedMs = performance.now() - started;
    await other.released;
    expect(waitedMs).toBeGreaterThan(150);
    expect(waitedMs).toBeLessThan(1000);
    const db = openSqliteFile(file, { synchronous: 'FULL' });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});
