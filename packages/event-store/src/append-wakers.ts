/**
 * Subscriptions waiting for appends, each woken only by an append to a stream its prefix takes. Under a
 * storm every group commit appends to incident streams; a subscription to people or schedules woken by
 * each of them read the store hundreds of times a second to find nothing.
 *
 * An append is announced by its streams' categories (a stream id up to and including its first `-`, or the
 * whole id): few, short and code-defined, so that they fit a PostgreSQL notification. A prefix is taken to
 * concern a category when either starts with the other: a wake too many costs one read, a wake missed
 * costs a poll interval.
 */
export class AppendWakers {
  private readonly watching = new Set<Watch>();
  /**
   * Watches from now on for an append that concerns `prefix` (any, without one). Taken before a read, it
   * keeps an append committed while the read runs: its `wait` then resolves at once.
   */
  watch(prefix: string | undefined): AppendWatch {
    const watch = new Watch(prefix, () => this.watching.delete(watch));
    this.watching.add(watch);
    return watch;
  }
  /** Wakes those the categories concern; every waiter when they are not known (a listener reconnected, a close). */
  wake(categories?: readonly string[]): void {
    for (const watch of [...this.watching])
      if (!categories || !watch.prefix || categories.some((c) => concerns(watch.prefix!, c))) watch.wake();
  }
}

/** What a subscription holds between taking a watch before its read and waiting after it. */
export interface AppendWatch {
  /** Resolves at once when an append that concerns it came since the watch was taken; else on the next, or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void>;
  /** Stops watching (a read that goes on at once does not wait). */
  cancel(): void;
  /** Ends the wait now, or the next one at once, as an append would (a caller that needs a read). */
  wake(): void;
}

class Watch implements AppendWatch {
  private woken = false;
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly prefix: string | undefined,
    private readonly remove: () => void,
  ) {}

  wait(timeoutMs: number): Promise<void> {
    if (this.woken) {
      this.cancel();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.wake(), timeoutMs).unref();
    });
  }

  wake(): void {
    this.woken = true;
    if (!this.resolve) return;
    const resolve = this.resolve;
    this.cancel();
    resolve();
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.resolve = undefined;
    this.remove();
  }
}

const concerns = (prefix: string, category: string) => category.startsWith(prefix) || prefix.startsWith(category);

/** The categories of the streams appended to, once each. */
export function categoriesOf(streamIds: Iterable<string>): string[] {
  const categories = new Set<string>();
  for (const id of streamIds) {
    const dash = id.indexOf('-');
    categories.add(dash < 0 ? id : id.slice(0, dash + 1));
  }
  return [...categories];
}

/** A notification's payload carries them one per line; too many for one (over PostgreSQL's 8,000 bytes), none. */
export const NOTICE_MAX_BYTES = 7_000;
export function noticePayload(categories: readonly string[]): string {
  const payload = categories.join('\n');
  return Buffer.byteLength(payload) <= NOTICE_MAX_BYTES ? payload : '';
}
export const categoriesOfPayload = (payload: string | undefined): string[] | undefined =>
  payload ? payload.split('\n') : undefined;
