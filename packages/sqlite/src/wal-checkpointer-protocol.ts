/** What a thread that commits and its checkpointer thread tell each other. */

/** Indices into `new Int32Array(counts)`. */
export const COUNT = { checkpoints: 0, finished: 1, busy: 2, failures: 3 } as const;
export const COUNTERS = Object.keys(COUNT).length;

export interface CheckpointerSetup {
  intervalMs: number;
  /** Counters the checkpointer thread keeps and the committing thread reads, with no message per checkpoint. */
  counts: SharedArrayBuffer;
  count: typeof COUNT;
}

export type ToCheckpointer = { follow: string } | { unfollow: string } | { stop: true };

/** Sent once when a file's checkpoints start failing, and once when one succeeds again. */
export type FromCheckpointer = { failing: string; error: string } | { recovered: string };
