import type { AppendWatch } from './append-wakers.ts';
import type { ReadAllOptions, RecordedEvent, SubscribeOptions, Subscription } from './event-store.ts';

export interface PollSource {
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  headPosition(): Promise<bigint | undefined>;
  /**
   * The head and a read after it, as one snapshot sees them, where the store can do both in one round trip
   * (PostgreSQL). Without it, the head is read first and the batch after.
   */
  readWithHead?(options: ReadAllOptions): Promise<HeadAndBatch>;
  /** Watches from now on for appends that may concern the subscription (see `AppendWakers.watch`). */
  watchAppends(): AppendWatch;
}

export interface HeadAndBatch {
  head: bigint | undefined;
  batch: RecordedEvent[];
}

export interface ReadRetry {
  /** First pause after a failed read; doubles up to `maxMs`. */
  firstMs: number;
  maxMs: number;
}

export const DEFAULT_READ_RETRY: ReadRetry = { firstMs: 500, maxMs: 30_000 };

/**
 * Catch-up then live for stores that are read by position (SQLite, PostgreSQL). A store notifies on
 * append where it can; polling covers writers in other processes and missed notifications.
 *
 * A failed read (the database gone, the file locked) never ends the subscription: it is reported through
 * `onInterrupted` and tried again from the same position, with backoff, until the store answers. Only the
 * handler failing ends it, through `onError`: what it refused would be refused again.
 */
export function pollingSubscription(
  source: PollSource,
  options: SubscribeOptions,
  pollMs: number,
  retry: ReadRetry = DEFAULT_READ_RETRY,
): Subscription {
  const batchSize = options.batchSize ?? 500;
  let position = options.after;
  let stopped = false;
  // stop() wakes the loop from its wait: a store's timer may be unref'd, and shutdown need not wait a poll.
  let wake = () => {};
  const stopping = new Promise<void>((resolve) => (wake = resolve));
  const waiters: Array<{ target: bigint; resolve: () => void }> = [];

  const settleWaiters = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i]!;
      if (position !== undefined && position >= waiter.target) {
        waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  };

  const pause = (ms: number) =>
    Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), stopping]);
  // The watch the loop waits on (or will, after its read): a caller waiting to catch up ends that wait.
  let watch: AppendWatch | undefined;

  const read = async (): Promise<HeadAndBatch> => {
    const readOptions = { after: position, limit: batchSize, streamPrefix: options.streamPrefix };
    if (source.readWithHead) return source.readWithHead(readOptions);
    // Read the head first: every event up to it is visible to the read that follows.
    const head = await source.headPosition();
    return { head, batch: await source.readAll(readOptions) };
  };

  const loop = (async () => {
    let failures = 0;
    while (!stopped) {
      // Taken before the read: an append committed while it runs is announced to this watch, not lost.
      const current = source.watchAppends();
      watch = current;
      let head: bigint | undefined;
      let batch: RecordedEvent[];
      try {
        ({ head, batch } = await read());
        failures = 0;
      } catch (error) {
        current.cancel();
        if (stopped) return;
        const retryInMs = Math.min(retry.maxMs, retry.firstMs * 2 ** failures++);
        options.onInterrupted?.(error, retryInMs);
        await pause(retryInMs);
        continue;
      }
      if (stopped) return current.cancel();
      if (batch.length > 0) {
        try {
          await options.onEvents(batch);
        } catch (error) {
          current.cancel();
          throw error;
        }
        position = batch[batch.length - 1]!.position;
      }
      // A batch shorter than asked holds every event of the filter up to the head (read before it, or in the
      // same snapshot): past the head, nothing is left to read until an append comes.
      if (batch.length < batchSize && head !== undefined && (position === undefined || head > position))
        position = head;
      settleWaiters();
      // A full batch may have more behind it: read on at once. After a short one, what was committed since it
      // was read has been announced to the watch, whose wait then ends at once: no read that finds nothing.
      if (batch.length > 0 && batch.length >= batchSize) current.cancel();
      else await Promise.race([current.wait(pollMs), stopping]).finally(() => current.cancel());
    }
  })().catch((error: unknown) => {
    stopped = true;
    options.onError?.(error);
  });

  return {
    get position() {
      return position;
    },
    async caughtUp() {
      const head = await source.headPosition();
      if (head === undefined || (position !== undefined && position >= head)) return;
      const reached = new Promise<void>((resolve) => waiters.push({ target: head, resolve }));
      // Appends to other streams since the last read announced nothing to the loop: it reads now, not at its
      // next poll, and stands at the head after.
      watch?.wake();
      await reached;
    },
    async stop() {
      stopped = true;
      wake();
      await loop;
      for (const waiter of waiters.splice(0)) waiter.resolve();
    },
  };
}
