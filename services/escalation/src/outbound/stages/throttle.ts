import { throttle, type Channel, type ThrottleRule } from '@klaxon/domain';

/**
 * The throttle-and-bundle stage of paging: pages wait per contact, channel and contact method's address
 * (`to`, absent for the phone and email of klaxon.yaml) until that address's throttle
 * allows a message, then everything that waited goes out together. Pure bookkeeping: time comes in.
 */
export class PageThrottle<T extends { contact: string; channel: Channel; to?: string }> {
  private readonly waiting = new Map<string, T[]>();
  private readonly tat = new Map<string, number>();
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly rules: Record<Channel, ThrottleRule>) {}

  offer(item: T): void {
    const key = `${item.channel}/${item.contact}${item.to === undefined ? '' : `/${item.to}`}`;
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), item]);
  }

  /** Takes out every waiting item that `unwanted` picks, and answers them; the contact's throttle stays as it was. */
  drop(unwanted: (item: T) => boolean): T[] {
    const dropped: T[] = [];
    for (const [key, items] of this.waiting) {
      const kept = items.filter((item) => !unwanted(item));
      if (kept.length === items.length) continue;
      dropped.push(...items.filter(unwanted));
      if (kept.length > 0) this.waiting.set(key, kept);
      else {
        this.waiting.delete(key);
        this.retryAt.delete(key);
      }
    }
    return dropped;
  }

  /** Every group whose contact may be reached now, each to go out as one message; the others keep waiting. */
  release(now: number): T[][] {
    const released: T[][] = [];
    for (const [key, items] of this.waiting) {
      if ((this.retryAt.get(key) ?? 0) > now) continue;
      const verdict = throttle(this.rules[items[0]!.channel], this.tat.get(key), now);
      if (!verdict.allowed) {
        this.retryAt.set(key, verdict.retryAt);
        continue;
      }
      this.tat.set(key, verdict.tat);
      this.retryAt.delete(key);
      this.waiting.delete(key);
      released.push(items);
    }
    return released;
  }

  /** Pages waiting, per channel. */
  waitingByChannel(): Partial<Record<Channel, number>> {
    const counts: Partial<Record<Channel, number>> = {};
    for (const items of this.waiting.values())
      counts[items[0]!.channel] = (counts[items[0]!.channel] ?? 0) + items.length;
    return counts;
  }

  /** When the earliest waiting group may go. */
  nextReleaseAt(): number | undefined {
    let next: number | undefined;
    for (const key of this.waiting.keys()) {
      const at = this.retryAt.get(key) ?? 0;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }
}
