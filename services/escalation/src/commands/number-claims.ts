import { z } from 'zod';
import type { EventStore } from '@klaxon/event-store';

/** Where incident numbers are claimed. Not `incident-…`: incident streams are followed by that prefix. */
export const INCIDENT_NUMBERS_STREAM = 'klaxon-incident-numbers';
/** Where the reply codes of bundled pages (`7aa`) are claimed. */
export const BUNDLE_NUMBERS_STREAM = 'klaxon-bundle-numbers';

export const NUMBERS_CLAIMED = 'NumbersClaimed';
const claimSchema = z.object({ first: z.number().int().positive(), last: z.number().int().positive() });

/** A claim while openings keep coming doubles the last one, up to this many numbers at once. */
const MAX_BLOCK = 256;
/** Openings closer together than this keep coming: the next block is claimed ahead, and larger. */
const STORM_GAP_MS = 1000;
/**
 * A block claimed ahead holds no more numbers than were taken in this long (and at least a few): what a
 * trickle of openings leaves over when the instance stops stays small.
 */
const RATE_WINDOW_MS = 5000;
const MIN_AHEAD = 4;
/**
 * While openings keep coming, a block another instance's numbers passed is kept this long: instances
 * claiming side by side in a storm pass each other's blocks all the time, and giving a block up at once
 * made each of them claim again for nearly every opening.
 */
const PASSED_BLOCK_KEPT_MS = 5000;
/**
 * After a calm opening takes the last number in hand, one more is claimed this long after, for the next:
 * late enough to stay off the way of the page that opening makes (on the embedded store a claim's commit
 * holds the thread through its fsync), and long before the next calm opening comes. Without it every calm
 * opening, the 3 a.m. page, claimed its number on its way, one more append before its page.
 */
const CALM_RESERVE_AFTER_MS = 250;

export interface NumberClaimsOptions {
  store: EventStore;
  stream: string;
  /** The highest number already in use, as the store's incidents show it: claims never start below it. */
  inUse: () => number;
  /** Milliseconds, for the age of blocks; not the service clock, which tests move by hours. */
  now?: () => number;
  /**
   * Runs `run` after `ms` of that clock, in the background (by default an unref'd timer); answers what
   * cancels it.
   */
  later?: (run: () => void, ms: number) => () => void;
}

/**
 * Numbers unique across every instance sharing the store: each instance claims a block of them by appending
 * `NumbersClaimed {first, last}` to one counter stream at the revision it last saw, so two instances never
 * claim the same block (the store refuses the second append; it reads the winner's claim and claims the
 * next). Numbers are handed out from the block without a round trip. When alerts are calm, one number per
 * claim, and one kept in hand: after a calm opening takes the last, the next is claimed in the background,
 * so the next calm opening does not wait for a claim either (on one instance: another's openings pass it).
 * While openings keep coming (less than a second apart: a storm, or a trickle) a claim covers everyone
 * waiting, each claim doubles the last (up to what was taken in the last few seconds), and the
 * next block is claimed ahead while half of the last is still in hand, so openings rarely wait for one: a
 * claim is an append, and on an opening's way it stood before the page. Numbers an instance claimed but
 * did not use (it stopped, or another instance opened an incident with a higher number, so that numbers
 * keep roughly the order in which incidents opened) are never given out: a gap, no repeat (when calm, the
 * one in hand at a stop).
 */
export class NumberClaims {
  private readonly blocks: Array<{ next: number; last: number; claimedAt: number }> = [];
  private lastClaimSize = 0;
  /** When numbers were taken from hand, oldest first, over the last RATE_WINDOW_MS (at most MAX_BLOCK). */
  private readonly takes: number[] = [];
  /** The counter stream's revision and highest claimed number, as last seen; undefined before the first claim. */
  private seen: { revision: number | 'no_stream'; highest: number } | undefined;
  private claiming: Promise<void> | undefined;
  private waiting = 0;
  private readonly returned: number[] = [];
  /** Cancels the claim for the next calm opening while one is due. */
  private cancelReserve: (() => void) | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly later: (run: () => void, ms: number) => () => void;

  constructor(private readonly options: NumberClaimsOptions) {
    this.now = options.now ?? Date.now;
    this.later =
      options.later ??
      ((run, ms) => {
        const timer = setTimeout(run, ms).unref();
        return () => clearTimeout(timer);
      });
  }

  /**
   * No claim starts in the background any more (ahead of a storm's openings, or for the next calm one),
   * and the one under way ends: the store may close after this.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelReserve?.();
    this.cancelReserve = undefined;
    await this.claiming?.catch(() => undefined);
  }

  /** A number no other instance is given; waits for a claim only when the blocks in hand are used up. */
  async take(): Promise<number> {
    const given = this.fromHand();
    if (given !== undefined) return given;
    // Counted until served, so that the claim under way and the next one are sized for everyone waiting.
    this.waiting++;
    try {
      for (;;) {
        await this.startClaim();
        const number = this.fromHand();
        if (number !== undefined) return number;
      }
    } finally {
      this.waiting--;
    }
  }

  /** A number taken but not used (its append was refused): handed out again before the blocks go on. */
  giveBack(number: number): void {
    this.returned.push(number);
  }

  /** `size`: that many numbers (or more, for everyone waiting), not what the pace of openings asks. */
  private startClaim(size?: number): Promise<void> {
    return (this.claiming ??= this.claim(size).finally(() => (this.claiming = undefined)));
  }

  /** One number in hand for the next calm opening, claimed after CALM_RESERVE_AFTER_MS unless one is by then. */
  private reserveLater(): void {
    if (this.cancelReserve || this.stopped) return;
    this.cancelReserve = this.later(() => {
      this.cancelReserve = undefined;
      this.giveUpPassed(this.now());
      // A failed claim is no loss: the next opening claims again and meets the error itself.
      if (this.blocks.length === 0 && this.returned.length === 0 && !this.claiming)
        this.startClaim(1).catch(() => undefined);
    }, CALM_RESERVE_AFTER_MS);
  }

  /** Whether openings keep coming: the last number was taken less than STORM_GAP_MS ago. */
  private busy(now: number): boolean {
    const last = this.takes.at(-1);
    return last !== undefined && now - last < STORM_GAP_MS;
  }

  /**
   * Drops used blocks, and those below a number in use (another instance's incident), which would go back
   * in order: given up when openings are calm, or after a while when they keep coming.
   */
  private giveUpPassed(now: number): void {
    const inUse = this.options.inUse();
    const passedKept = this.busy(now) ? PASSED_BLOCK_KEPT_MS : 0;
    const given = (b: { next: number; last: number; claimedAt: number }) =>
      b.next > b.last || (b.next <= inUse && now - b.claimedAt >= passedKept);
    while (this.blocks[0] && given(this.blocks[0])) this.blocks.shift();
  }

  /** Numbers given back and left in blocks (after `giveUpPassed`, every block holds at least one). */
  private inHand(): number {
    return this.returned.length + this.blocks.reduce((sum, b) => sum + b.last - b.next + 1, 0);
  }

  private fromHand(): number | undefined {
    const now = this.now();
    this.giveUpPassed(now);
    const back = this.returned.shift();
    if (back !== undefined) {
      // Calm and nothing left after it: the next calm opening's number, as after any other take.
      if (!this.busy(now) && this.inHand() === 0) this.reserveLater();
      return back;
    }
    const block = this.blocks[0];
    if (!block) return undefined;
    const number = block.next++;
    const busy = this.busy(now);
    this.takes.push(now);
    if (this.takes.length > MAX_BLOCK) this.takes.shift();
    // Openings keep coming: the next block is claimed before this one runs out. A failed claim ahead is no
    // loss: a take that finds nothing in hand claims again and meets the error itself.
    const left = this.inHand();
    if (busy && left <= Math.floor(this.lastClaimSize / 2) && !this.claiming && !this.stopped)
      this.startClaim().catch(() => undefined);
    else if (!busy && left === 0) this.reserveLater();
    return number;
  }

  private async claim(fixedSize?: number): Promise<void> {
    const { store, stream, inUse } = this.options;
    // One turn of the event loop first: the openings of a storm's batch, decided side by side, all come to
    // wait, and one claim covers them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const now = this.now();
    while (this.takes.length > 0 && now - this.takes[0]! >= RATE_WINDOW_MS) this.takes.shift();
    const ahead = Math.max(MIN_AHEAD, this.takes.length);
    const paced = this.busy(now) ? Math.min(MAX_BLOCK, this.lastClaimSize * 2, ahead) : 1;
    const size = Math.max(fixedSize ?? paced, this.waiting);
    for (;;) {
      const expected = this.seen?.revision ?? 'no_stream';
      const first = Math.max(this.seen?.highest ?? 0, inUse()) + 1;
      const last = first + size - 1;
      const appended = await store.append(stream, [{ type: NUMBERS_CLAIMED, data: { first, last } }], expected);
      if (appended.ok) {
        this.seen = { revision: appended.value.nextExpectedRevision, highest: last };
        // The number kept for calm openings says nothing of the pace of openings the next claim doubles.
        if (fixedSize === undefined) this.lastClaimSize = size;
        this.blocks.push({ next: first, last, claimedAt: this.now() });
        return;
      }
      // Another instance claimed since: its claim is the stream's last event.
      const actual = appended.error.actual;
      if (actual === 'no_stream') {
        this.seen = undefined;
        continue;
      }
      const latest = (await store.readStream(stream, actual)).at(-1);
      const claimed = claimSchema.safeParse(latest?.data);
      if (!latest || !claimed.success)
        throw new Error(`${stream} revision ${actual} is not a ${NUMBERS_CLAIMED} event`);
      this.seen = { revision: latest.revision, highest: claimed.data.last };
    }
  }
}
