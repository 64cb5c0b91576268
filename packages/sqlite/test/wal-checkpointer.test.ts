import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '@klaxon/testing';
import { openSqliteFile, WalCheckpointer, type Database, type WalCheckpointerOptions } from '../src/index.ts';

const PAGE = 4096;
const FRAME = PAGE + 24;

let dir: TempDir | undefined;
let open: Database[] = [];
afterEach(() => {
  for (const db of open) db.close();
  open = [];
  dir?.remove();
  dir = undefined;
});

interface Warned {
  message: string;
  detail: Record<string, unknown>;
}

function setUp(options: WalCheckpointerOptions) {
  dir = tempDir('klaxon-sqlite-');
  const warnings: Warned[] = [];
  const checkpointer = new WalCheckpointer({
    ...options,
    warn: (message, detail) => warnings.push({ message, detail }),
  });
  const files = dir;
  const connect = (name = 'events.db') => {
    const db = openSqliteFile(files.file(name), { synchronous: 'FULL', checkpointer });
    open.push(db);
    return db;
  };
  return { checkpointer, warnings, connect, wal: (name = 'events.db') => files.file(`${name}-wal`) };
}

/**
 * Commits one at a time, each of about `pages` pages, with a turn of the event loop between them and now and
 * then a pause, as a service's do; the WAL's largest size.
 */
async function commit(db: Database, wal: string, commits: number, pages = 4): Promise<number> {
  db.exec('CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO events (data) VALUES (randomblob(?))');
  const tx = db.transaction(() => {
    for (let i = 0; i < pages; i++) insert.run(PAGE - 100);
  });
  let largest = 0;
  for (let i = 0; i < commits; i++) {
    tx.immediate();
    largest = Math.max(largest, statSync(wal, { throwIfNoEntry: false })?.size ?? 0);
    await new Promise((resolve) => (i % 10 === 9 ? setTimeout(resolve, 1) : setImmediate(resolve)));
  }
  return largest;
}

describe('the WAL checkpointer', () => {
  it('takes checkpoints off the committing connection and keeps the WAL bounded from its own thread', async () => {
    // The limit far away: what keeps the WAL small here is the checkpointer thread, not the fallback.
    const { checkpointer, connect, wal } = setUp({ intervalMs: 20, limitPages: 1_000_000, watchMs: 20 });
    const db = connect();
    // Until the thread runs, SQLite's own checkpoints.
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // As a service's first storm comes after its start, once the thread is up.
    await commit(db, wal(), 1);
    await expect.poll(() => checkpointer.stats().checkpoints, { timeout: 5000 }).toBeGreaterThan(0);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    // 12,000 pages and more: past SQLite's threshold of 1000 twelve times. Left alone, the WAL holds them all.
    const largest = await commit(db, wal(), 3000);

    expect(largest / FRAME).toBeLessThan(5000);
    const stats = checkpointer.stats();
    expect(stats.checkpoints).toBeGreaterThan(0);
    expect(stats.finished).toBeGreaterThan(0);
    expect(stats.fallbacks).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM events').get()).toEqual({ n: 12_004 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('checkpoints on the committing thread when the WAL passes its limit with the checkpointer thread idle, and says so', async () => {
    // An interval that never comes: the checkpointer thread is there but copies nothing.
    const { checkpointer, warnings, connect, wal } = setUp({
      intervalMs: 3_600_000,
      limitPages: 500,
      watchMs: 10,
    });
    const db = connect();

    const largest = await commit(db, wal(), 2500);

    // 10,000 pages written; the WAL stays within its limit and what a check interval adds to it.
    expect(largest / FRAME).toBeLessThan(2000);
    expect(checkpointer.stats().checkpoints).toBe(0);
    expect(checkpointer.stats().fallbacks).toBeGreaterThan(0);
    expect(warnings[0]).toMatchObject({
      message: 'a WAL passed its limit: checkpointed on the committing thread',
      detail: { file: expect.stringContaining('events.db') as unknown },
    });
  });

  it('starts its thread for files open a while, ends it when the last closes, and starts one again for the next', async () => {
    const { checkpointer, connect, wal } = setUp({ intervalMs: 10, watchMs: 10 });
    connect('brief.db').close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(checkpointer.stats().threads).toBe(0);

    const a = connect('a.db');
    const again = connect('a.db');
    const b = connect('b.db');
    await commit(a, wal('a.db'), 300);
    await commit(b, wal('b.db'), 300);
    await expect.poll(() => checkpointer.stats().checkpoints, { timeout: 5000 }).toBeGreaterThan(0);
    expect(checkpointer.stats().threads).toBe(1);

    for (const db of [a, again, b]) {
      const started = performance.now();
      db.close();
      // Closing never waits for the thread.
      expect(performance.now() - started).toBeLessThan(100);
      expect(checkpointer.stats().threads).toBe(1);
    }
    await expect.poll(() => checkpointer.stats().threads, { timeout: 5000 }).toBe(0);

    const reopened = connect('a.db');
    await expect.poll(() => checkpointer.stats().threads, { timeout: 5000 }).toBe(1);
    reopened.close();
    await expect.poll(() => checkpointer.stats().threads, { timeout: 5000 }).toBe(0);
  });

  it('gives the connections SQLite’s own checkpoints back when its thread dies, and says so', async () => {
    const { checkpointer, warnings, connect } = setUp({
      thread: new URL('data:text/javascript,throw new Error("the checkpointer thread failed")'),
      watchMs: 10,
    });
    const db = connect();

    await expect.poll(() => warnings.length, { timeout: 5000 }).toBeGreaterThan(0);
    await expect.poll(() => checkpointer.stats().threads, { timeout: 5000 }).toBe(0);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(connect('other.db').pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(warnings).toMatchObject([
      {
        message: 'the WAL checkpointer thread stopped; commits checkpoint their files themselves again',
        detail: { error: 'the checkpointer thread failed' },
      },
    ]);
  });
});
