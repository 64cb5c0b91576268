/**
 * When a group commit goes. SQLite commits on the appending thread and fsyncs every commit, and nothing can
 * join a commit while it runs, so under a steady stream of appends from many callers each commit took only
 * the one or two that arrived during the last fsync: a commit (its fsync and its WAL pages written again) per
 * append or two. Like PostgreSQL's `commit_delay` with `commit_siblings`, a new batch waits a little for
 * company only while appends keep coming and some of the last batches had company: an append after a quiet
 * spell, and a lone writer appending one after another (each waits for the last, so its batches never hold
 * two; one incident's opening when nothing else comes), commit on the next turn of the event loop as before.
 */
export interface CommitPacing {
  /** How long a batch may wait for more appends while they keep coming. */
  holdMs: number;
  /** Appends that count as a steady stream when they all arrived within `withinMs`. */
  busyAppends: number;
  withinMs: number;
  /** A batch this large commits at once, held or not. */
  maxBatch: number;
}

export const DEFAULT_COMMIT_PACING: CommitPacing = { holdMs: 4, busyAppends: 4, withinMs: 5, maxBatch: 64 };

/** Batches looked back on for company: one of them with two appends or more says appends overlap. */
const BATCHES_LOOKED_BACK = 4;

export interface CommitPacer {
  /**
   * An append joined the pending batch, which now holds `pending`: `'next-turn'` for a commit on the next
   * turn, a number of milliseconds to hold a new batch for, or `'now'` for a held batch that is full.
   */
  arrived(pending: number): 'next-turn' | 'now' | number | undefined;
}

/** `now` in milliseconds (monotonic); injected so that tests decide what time it is. */
export function commitPacer(pacing: CommitPacing, now: () => number): CommitPacer {
  // Arrival times of the `busyAppends - 1` appends before this one, as a ring: the slot to write next holds
  // the oldest of them.
  const arrivals = new Array<number>(Math.max(1, pacing.busyAppends - 1)).fill(Number.NEGATIVE_INFINITY);
  let next = 0;
  // Sizes of the last batches, newest last, and the size of the one pending.
  const sizes: number[] = [];
  let size = 0;
  let held = false;
  return {
    arrived(pending) {
      const at = now();
      const oldest = arrivals[next]!;
      arrivals[next] = at;
      next = (next + 1) % arrivals.length;
      if (pending === 1) {
        if (size > 0) sizes.push(size);
        if (sizes.length > BATCHES_LOOKED_BACK) sizes.shift();
        size = 1;
        const steady = at - oldest <= pacing.withinMs;
        const company = sizes.some((s) => s > 1);
        held = steady && company && pacing.holdMs > 0;
        return held ? pacing.holdMs : 'next-turn';
      }
      size = pending;
      if (held && pending >= pacing.maxBatch) {
        held = false;
        return 'now';
      }
      return undefined;
    },
  };
}
