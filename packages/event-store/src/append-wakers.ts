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
  private readonly waiting = new Set<{ prefix: string | undefined; wake: () => void }>();

  /** Resolves on an append that concerns `prefix` (any, without one), or after `timeoutMs` at the latest. */
  wait(prefix: string | undefined, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const waiter = {
        prefix,
        wake: () => {
          clearTimeout(timer);
          this.waiting.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.wake, timeoutMs).unref();
      this.waiting.add(waiter);
    });
  }

  /** Wakes those the categories concern; every waiter when they are not known (a listener reconnected, a close). */
  wake(categories?: readonly string[]): void {
    for (const waiter of [...this.waiting])
      if (!categories || !waiter.prefix || categories.some((c) => concerns(waiter.prefix!, c))) waiter.wake();
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
