import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import {
  COUNT,
  COUNTERS,
  type CheckpointerSetup,
  type FromCheckpointer,
  type ToCheckpointer,
} from './wal-checkpointer-protocol.ts';

export interface WalCheckpointerOptions {
  /**
   * How often the checkpointer thread copies what the WAL holds into the main file: often, so that each copy,
   * and its fsync of the main file beside the commits' own of the WAL, stays small.
   */
  intervalMs?: number;
  /** A WAL past this many pages is checkpointed by the committing thread itself. */
  limitPages?: number;
  /**
   * How often the committing thread makes sure its checkpointer thread runs and compares its files' WALs with
   * the limit. The thread starts at the first look: a file open for less time (most tests) never starts one.
   */
  watchMs?: number;
  /** Where failures and fallbacks are reported. */
  warn?: (message: string, detail: Record<string, unknown>) => void;
  /** The checkpointer thread's entry (tests give one that fails). */
  thread?: URL;
}

export interface WalCheckpointStats {
  /** Checkpoints of the checkpointer thread that found frames to copy. */
  checkpoints: number;
  /** Checkpoints that copied a WAL to its end holding the write lock, so that the next commit starts it over. */
  finished: number;
  /** Checkpoints that found the file busy (another checkpoint running, a commit holding the write lock), tried again. */
  busy: number;
  failures: number;
  /** Checkpoints the committing thread ran itself, its WAL past the limit. */
  fallbacks: number;
  /** Checkpointer threads not yet exited (one stopping may overlap the next one started). */
  threads: number;
}

/** SQLite's own default for wal_autocheckpoint, given back to the connections when the checkpointer thread dies. */
const SQLITE_AUTOCHECKPOINT = 1000;
const WAL_HEADER_BYTES = 32;
const FRAME_HEADER_BYTES = 24;

interface Followed {
  connections: Set<Database>;
  wal: string;
  limitBytes: number;
  /** The WAL's size when the committing thread last checkpointed it, so an idle file is not checkpointed again. */
  fellBackAt: number;
}

const emitWarning = (message: string, detail: Record<string, unknown>) =>
  process.emitWarning(message, { code: 'KLAXON_WAL_CHECKPOINT', detail: JSON.stringify(detail) });

/**
 * Copies the WAL of the files registered with it into their main files on a thread of its own, so no commit
 * pays for a checkpoint: with SQLite's automatic checkpoint, the commit that crossed 1000 pages did it on the
 * committing thread, fsyncs and all, and that thread is the one that pages people. Registered connections get
 * `wal_autocheckpoint = 0` once the thread runs. One thread serves all the files of the thread that registers
 * them, started at the first look after the first (`watchMs`) and ended with the last.
 *
 * Should the checkpointer thread fall behind or stop, the committing thread checks every `watchMs` whether
 * a WAL has passed `limitPages`, and then checkpoints it itself; should the thread die, its
 * connections get SQLite's automatic checkpoint back. Either is reported through `warn`.
 */
export class WalCheckpointer {
  readonly #intervalMs: number;
  readonly #limitPages: number;
  readonly #watchMs: number;
  readonly #warn: (message: string, detail: Record<string, unknown>) => void;
  readonly #thread: URL;
  readonly #counts = new SharedArrayBuffer(COUNTERS * Int32Array.BYTES_PER_ELEMENT);
  readonly #files = new Map<string, Followed>();
  readonly #threads = new Set<Worker>();
  #worker: Worker | undefined;
  #dead = false;
  #fallbacks = 0;
  #watch: NodeJS.Timeout | undefined;

  constructor(options: WalCheckpointerOptions = {}) {
    this.#intervalMs = options.intervalMs ?? 100;
    this.#limitPages = options.limitPages ?? 10 * SQLITE_AUTOCHECKPOINT;
    this.#watchMs = options.watchMs ?? 1000;
    this.#warn = options.warn ?? emitWarning;
    this.#thread = options.thread ?? new URL('./wal-checkpointer-worker.mjs', import.meta.url);
  }

  /** Follows a connection's file (WAL mode) until the function returned is called, before the connection closes. */
  register(file: string, db: Database): () => void {
    const path = resolve(file);
    let followed = this.#files.get(path);
    if (!followed) {
      const pageSize = Number(db.pragma('page_size', { simple: true }));
      followed = {
        connections: new Set(),
        wal: `${path}-wal`,
        limitBytes: WAL_HEADER_BYTES + this.#limitPages * (FRAME_HEADER_BYTES + pageSize),
        fellBackAt: 0,
      };
      this.#files.set(path, followed);
      this.#worker?.postMessage({ follow: path } satisfies ToCheckpointer);
    }
    followed.connections.add(db);
    if (this.#worker) db.pragma('wal_autocheckpoint = 0');
    // A WAL starts over from its first frame, keeping its size; past the limit it is cut back to it when it
    // does, so its size tells the limit check whether it has passed the limit since.
    db.pragma(`journal_size_limit = ${followed.limitBytes}`);
    this.#watch ??= setInterval(() => this.#look(), this.#watchMs).unref();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(path, db);
    };
  }

  stats(): WalCheckpointStats {
    const counts = new Int32Array(this.#counts);
    return {
      checkpoints: Atomics.load(counts, COUNT.checkpoints),
      finished: Atomics.load(counts, COUNT.finished),
      busy: Atomics.load(counts, COUNT.busy),
      failures: Atomics.load(counts, COUNT.failures),
      fallbacks: this.#fallbacks,
      threads: this.#threads.size,
    };
  }

  #release(path: string, db: Database): void {
    const followed = this.#files.get(path);
    if (!followed?.connections.delete(db) || followed.connections.size > 0) return;
    this.#files.delete(path);
    this.#worker?.postMessage({ unfollow: path } satisfies ToCheckpointer);
    if (this.#files.size > 0) return;
    clearInterval(this.#watch);
    this.#watch = undefined;
    // Not waited for: closing a file never waits on the thread, which ends once its connections are closed.
    this.#worker?.postMessage({ stop: true } satisfies ToCheckpointer);
    this.#worker = undefined;
  }

  #look(): void {
    if (!this.#worker && !this.#dead) this.#startThread();
    for (const [path, followed] of this.#files) this.#attempt(path, () => this.#checkLimit(path, followed));
  }

  #startThread(): void {
    try {
      this.#worker = this.#start();
    } catch (error) {
      this.#giveUp({ error: (error as Error).message });
      return;
    }
    // Until now SQLite's own checkpoints kept the files: one open a short while (a test's) needs no thread.
    for (const [path, followed] of this.#files)
      for (const db of followed.connections) this.#attempt(path, () => db.pragma('wal_autocheckpoint = 0'));
  }

  #start(): Worker {
    const worker = new Worker(this.#thread, {
      workerData: { intervalMs: this.#intervalMs, counts: this.#counts, count: COUNT } satisfies CheckpointerSetup,
      // It needs none of the process's flags, and `--import tsx` among them costs a new thread more than the
      // thread itself.
      execArgv: [],
    });
    for (const path of this.#files.keys()) worker.postMessage({ follow: path } satisfies ToCheckpointer);
    // Never what keeps a process running: the committing threads' files are safe on disk without it.
    worker.unref();
    this.#threads.add(worker);
    worker.on('message', (message: FromCheckpointer) => {
      if ('failing' in message)
        this.#warn('WAL checkpoints of this file fail; tried again at every interval', {
          file: message.failing,
          error: message.error,
        });
      else this.#warn('WAL checkpoints of this file succeed again', { file: message.recovered });
    });
    worker.on('error', (error) => this.#died(worker, { error: error.message }));
    worker.on('exit', (code) => {
      this.#threads.delete(worker);
      this.#died(worker, { code });
    });
    return worker;
  }

  #died(worker: Worker, reason: Record<string, unknown>): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    this.#giveUp(reason);
  }

  /** A thread that died once would likely die again: its files go back to SQLite's own checkpoints. */
  #giveUp(reason: Record<string, unknown>): void {
    this.#dead = true;
    this.#warn('the WAL checkpointer thread stopped; commits checkpoint their files themselves again', reason);
    for (const [path, followed] of this.#files)
      for (const db of followed.connections)
        this.#attempt(path, () => db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT}`));
  }

  #checkLimit(path: string, followed: Followed): void {
    const size = statSync(followed.wal, { throwIfNoEntry: false })?.size ?? 0;
    if (size <= followed.limitBytes) {
      followed.fellBackAt = 0;
      return;
    }
    // Nothing written since the last one: its next commit starts the WAL over and cuts it back.
    if (size === followed.fellBackAt) return;
    // A connection inside a transaction cannot checkpoint: left to the next check.
    const db = [...followed.connections].find((c) => c.open && !c.inTransaction);
    if (!db) return;
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as [Record<string, unknown>];
    followed.fellBackAt = size;
    this.#fallbacks += 1;
    this.#warn('a WAL passed its limit: checkpointed on the committing thread', {
      file: path,
      walBytes: size,
      limitBytes: followed.limitBytes,
      ...Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Number(v)])),
    });
  }

  /** Runs in a timer or an event handler, where a throw would end the process: a failure is reported instead. */
  #attempt(path: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#warn('the WAL checkpointer could not act on this file', {
        file: path,
        error: (error as Error).message,
      });
    }
  }
}

/**
 * This thread's checkpointer. Per thread, not per process: a module's state, a better-sqlite3 connection and
 * a Worker handle each belong to the thread that made them (`pnpm start` has two: ingest's and the handlers').
 */
export const walCheckpointer = new WalCheckpointer();
