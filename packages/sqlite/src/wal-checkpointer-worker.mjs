// @ts-check
import { clearTimeout, setTimeout } from 'node:timers';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The checkpointer thread, started by wal-checkpointer.ts. Every `intervalMs` it copies what each followed
 * file's WAL holds into the file, from a connection of its own, with PASSIVE checkpoints: they take no lock a
 * commit needs and wait for no reader, so commits in other threads go on while the copy and its fsyncs run
 * here. Nothing is measured first: a checkpoint with nothing to copy only reads the WAL-index in shared
 * memory, while reading the WAL's length ourselves means opening the -shm file, and closing it would drop the
 * locks SQLite holds on it for every connection of the process (POSIX locks belong to the process).
 *
 * JavaScript, not TypeScript run through tsx as scripts/start-all.ts does for its worker: a worker thread
 * starts without the parent's loader, and registering tsx in each one cost several times what the thread
 * itself does, in every process and test that opens a file. tsc checks this file (checkJs).
 *
 * @typedef {import('./wal-checkpointer-protocol.ts').CheckpointerSetup} CheckpointerSetup
 * @typedef {import('./wal-checkpointer-protocol.ts').ToCheckpointer} ToCheckpointer
 * @typedef {import('./wal-checkpointer-protocol.ts').FromCheckpointer} FromCheckpointer
 * @typedef {{ busy: number; log: number; checkpointed: number }} CheckpointResult
 * @typedef {object} Followed
 * @property {Database.Database} [db]
 * @property {number} log The WAL's frames, as the last checkpoint left them.
 * @property {number} checkpointed Its frames copied, as the last checkpoint left them.
 * @property {boolean} ready Copied to its end holding the write lock, and no commit since: the next one starts it over.
 * @property {boolean} failing
 */

if (!parentPort) throw new Error('wal-checkpointer-worker.mjs runs as the worker thread of wal-checkpointer.ts');
const parent = parentPort;
const setup = /** @type {CheckpointerSetup} */ (workerData);
const COUNT = setup.count;
const counts = new Int32Array(setup.counts);

/**
 * A commit landing while a pass copies leaves frames behind it: passes go on, each shorter, until one finds
 * nothing new (that one reads shared memory only).
 */
const PASSES = 4;
/** SQLite's own threshold for a checkpoint: a WAL past it is made ready to start over from its first frame. */
const START_OVER_FRAMES = 1000;
/** A WAL past the threshold that a commit kept from being made ready is tried again this soon, this often. */
const RETRY_MS = 5;
const RETRIES = 10;

/** @type {Map<string, Followed>} */
const files = new Map();

/** @param {string} file */
function connect(file) {
  // Never waits for a lock: a busy file is tried again later, and the thread stays free to stop.
  const db = new Database(file, { fileMustExist: true, timeout: 0 });
  // A checkpoint fsyncs the WAL before it copies and the main file before SQLite may reuse the WAL, but only
  // on a connection that syncs at all: a commit acknowledged on the WAL's fsync must not come to rest on
  // pages never synced into the main file.
  db.pragma('synchronous = FULL');
  return db;
}

/**
 * Whether the file is done with until the next interval (false: try again soon).
 * @param {string} file
 * @param {Followed} followed
 */
function checkpoint(file, followed) {
  try {
    const db = (followed.db ??= connect(file));
    copy(db, followed);
    if (followed.log >= START_OVER_FRAMES && !followed.ready) finish(db, followed);
    if (followed.failing) {
      followed.failing = false;
      report({ recovered: file });
    }
    return followed.log < START_OVER_FRAMES || followed.ready;
  } catch (error) {
    const { code, message } = /** @type {{ code?: unknown; message: string }} */ (error);
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      Atomics.add(counts, COUNT.busy, 1);
      return false;
    }
    Atomics.add(counts, COUNT.failures, 1);
    // Opened again next time: the file may have been replaced or its handle gone bad.
    close(followed);
    if (!followed.failing) {
      followed.failing = true;
      report({ failing: file, error: message });
    }
    return true;
  }
}

/**
 * @param {Database.Database} db
 * @param {Followed} followed
 */
function copy(db, followed) {
  for (let pass = 0; pass < PASSES; pass++) {
    const result = run(db, 'PASSIVE');
    if (result.busy) {
      Atomics.add(counts, COUNT.busy, 1);
      return;
    }
    const copied =
      result.checkpointed > 0 && (result.checkpointed !== followed.checkpointed || result.log !== followed.log);
    followed.log = result.log;
    followed.checkpointed = result.checkpointed;
    if (!copied) return;
    followed.ready = false;
    Atomics.add(counts, COUNT.checkpoints, 1);
  }
}

/**
 * SQLite starts the WAL over from its first frame only when a writer begins with all of it copied, and under
 * a storm a commit lands while nearly every pass copies: the WAL would grow to its limit. FULL takes the
 * write lock, so that nothing lands: never waiting for it (no busy timeout: a commit holding it makes this
 * busy, tried again soon), and only after the passes, so that it holds it no longer than copying what the
 * last of them missed takes (nothing, or a commit or two).
 * @param {Database.Database} db
 * @param {Followed} followed
 */
function finish(db, followed) {
  const result = run(db, 'FULL');
  Atomics.add(counts, result.busy ? COUNT.busy : COUNT.finished, 1);
  followed.log = result.log;
  followed.checkpointed = result.checkpointed;
  followed.ready = !result.busy;
}

/**
 * @param {Database.Database} db
 * @param {'PASSIVE' | 'FULL'} mode
 * @returns {CheckpointResult}
 */
function run(db, mode) {
  const [result] = /** @type {[CheckpointResult]} */ (db.pragma(`wal_checkpoint(${mode})`));
  return result;
}

/** @param {Followed} followed */
function close(followed) {
  const db = followed.db;
  followed.db = undefined;
  try {
    db?.close();
  } catch {
    // Nothing is lost with a connection that will not close: the next one opened starts afresh.
  }
}

/** @param {FromCheckpointer} message */
const report = (message) => parent.postMessage(message);

let retries = 0;
const tick = () => {
  let done = true;
  for (const [file, followed] of files) done = checkpoint(file, followed) && done;
  retries = done || retries === RETRIES ? 0 : retries + 1;
  timer = setTimeout(tick, retries > 0 ? RETRY_MS : setup.intervalMs);
};
let timer = setTimeout(tick, setup.intervalMs);

parent.on('message', (/** @type {ToCheckpointer} */ message) => {
  if ('follow' in message) {
    if (!files.has(message.follow))
      files.set(message.follow, { log: -1, checkpointed: -1, ready: false, failing: false });
  } else if ('unfollow' in message) {
    const followed = files.get(message.unfollow);
    files.delete(message.unfollow);
    if (followed) close(followed);
  } else {
    clearTimeout(timer);
    for (const followed of files.values()) close(followed);
    files.clear();
    // Nothing else keeps the thread's event loop running: it ends.
    parent.close();
  }
});
