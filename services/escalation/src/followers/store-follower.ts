import type { ZodType } from 'zod';
import { z } from 'zod';
import type { EventStore, RecordedEvent } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import { followerLeaseSchema, LEASE_MS, newHolderName, type FollowerLeased } from './follower-lease.ts';
import { followLoop, type FollowLoop, type StepResult } from './follow-loop.ts';
import { KeptStream } from './kept-stream.ts';

/**
 * What a follower did with one record: `sent` (done, and it sent something), `passed` (done, nothing to
 * send), `batched` (done once the batch ends, see `endOfBatch`), or a time to try it again (it holds those
 * behind it).
 */
export type Taken = 'sent' | 'passed' | 'batched' | { retryAt: Date };

type Kept = { type: string; data: unknown };

/** What one follower of the store does; the reading, the position, the checkpoints and the lease are the same for all. */
export interface FollowerWork<E extends Kept> {
  /** The facts of its own stream, besides the lease. */
  readonly schema: ZodType<E>;
  /** The records it acts on; the rest of the store is read past. */
  follows(record: RecordedEvent): boolean;
  /**
   * Facts of its stream written by another instance, a replay, or before a restart, in order: the position
   * to go on from, when they move it (`undefined` in it: from the start of history).
   */
  readKept(events: E[], position: bigint | undefined): { position: bigint | undefined } | undefined;
  /** The fact that keeps `position` (with whatever else a restart needs). */
  checkpoint(position: bigint | undefined): E;
  /** A retry that waits: nothing is read before it. */
  waitingUntil?(): Date | undefined;
  beginBatch?(): void;
  take(record: RecordedEvent): Promise<Taken>;
  /** Does what the batch's `batched` records gathered; the position moves past them once it returns. */
  endOfBatch?(): Promise<void>;
}

export interface StoreFollowerDeps {
  store: EventStore;
  streamId: string;
  clock: Clock;
  logger: Logger;
  /** For logs: `a webhook step`. */
  what: string;
  pollMs?: number;
  batchSize?: number;
  /** Checkpoints within a batch every so many `sent` records (default: only at the batch's end). */
  keepEvery?: number;
  /** This instance's name in the lease (default: host, pid and a random part). */
  holder?: string;
  leaseMs?: number;
}

/**
 * Follows the event store from the position kept in its own stream, for one piece of outbound work (a
 * webhook, Slack). Several instances may run it on one store; one at a time acts, the holder of the lease
 * kept in the same stream: it takes the lease when it has work and none holds it, renews it while working,
 * and gives it up at stop. Another instance takes over from the kept position once the holder's lease
 * runs out (a crash, a freeze). Every write to the stream goes at the revision last read, so a holder
 * overtaken reads the newcomer's lease before it writes again.
 */
export class StoreFollower<E extends Kept> {
  private readonly kept: KeptStream<E | FollowerLeased>;
  /** Done with in this instance (kept, or to be kept at the next checkpoint). */
  private done: bigint | undefined;
  /** How far this instance read past records it does not act on; absent: from `done`. */
  private scanned: bigint | undefined;
  private lastKept: string | undefined;
  private sinceKept = 0;
  /** Bumped when the stream moved the position: a batch read before is stale. */
  private moves = 0;
  private lease: { holder: string; until: number } | undefined;
  private readonly holder: string;
  private readonly leaseMs: number;
  private readonly loop: FollowLoop;

  constructor(
    private readonly work: FollowerWork<E>,
    private readonly deps: StoreFollowerDeps,
  ) {
    const schema = z.union([followerLeaseSchema, work.schema]) as unknown as ZodType<E | FollowerLeased>;
    this.kept = new KeptStream(deps.store, deps.streamId, schema);
    this.holder = deps.holder ?? newHolderName();
    this.leaseMs = deps.leaseMs ?? LEASE_MS;
    this.loop = followLoop(() => this.step(), {
      pollMs: deps.pollMs ?? 500,
      clock: deps.clock,
      logger: deps.logger,
      what: deps.what,
    });
  }

  get streamId(): string {
    return this.deps.streamId;
  }

  /** The store position done with, as this instance knows it. */
  get position(): bigint | undefined {
    return this.done;
  }

  /** Whether this instance holds the lease now. */
  get holding(): boolean {
    return this.lease?.holder === this.holder && this.lease.until > this.deps.clock.now().getTime();
  }

  /** Reads where it got to. Set up on a store with history, it follows from the present. */
  async prepare(): Promise<void> {
    await this.refresh();
    if (this.kept.exists) return;
    this.done = await this.deps.store.headPosition();
    await this.keep();
  }

  async step(): Promise<StepResult> {
    try {
      return await this.follow();
    } catch (error) {
      // What was read past but not done is read again, from the kept position.
      this.scanned = undefined;
      throw error;
    }
  }

  /** Steps until nothing is due now; what the last step said. */
  async drain(): Promise<StepResult> {
    for (;;) {
      const result = await this.step();
      if (result !== 'progress') return result;
    }
  }

  start(): void {
    this.loop.start();
  }

  /** Stops stepping and gives the lease up, so another instance goes on at once. */
  async stop(): Promise<void> {
    await this.loop.stop();
    if (!this.holding) return;
    const now = this.deps.clock.now().toISOString();
    const release: FollowerLeased = { type: 'FollowerLeased', data: { holder: this.holder, until: now } };
    if (await this.kept.append([release]).catch(() => false)) this.lease = undefined;
  }

  wake(): void {
    this.loop.wake();
  }

  /**
   * For work that makes many calls for one record or at a batch's end: renews the lease, or throws when
   * another instance holds it now (the step ends; the holder does the rest from the kept position).
   */
  async renew(): Promise<void> {
    const held = await this.hold();
    if (held !== true)
      throw new Error(`${this.deps.streamId}: another instance holds the lease until ${held.toISOString()}`);
  }

  /** False when someone else wrote first (a replay, another instance): their word is read and taken instead. */
  async write(event: E): Promise<boolean> {
    if (await this.kept.append([event])) return true;
    await this.refresh();
    return false;
  }

  /** Written whatever else was written first (a fact that must be kept, such as a message posted). */
  async record(event: E): Promise<void> {
    while (!(await this.kept.append([event]))) await this.refresh();
  }

  private async follow(): Promise<StepResult> {
    await this.prepare();
    const waiting = this.work.waitingUntil?.();
    if (waiting && this.deps.clock.now() < waiting) return { retryAt: waiting };
    const limit = this.deps.batchSize ?? 200;
    const moves = this.moves;
    const batch = await this.deps.store.readAll({ after: this.scanned ?? this.done, limit });
    this.work.beginBatch?.();
    let acted = false;
    let batchedTo: bigint | undefined;
    for (const record of batch) {
      if (!this.work.follows(record)) {
        this.scanned = record.position;
        continue;
      }
      const held = await this.hold();
      if (held !== true || this.moves !== moves) {
        this.scanned = undefined;
        return held === true ? 'progress' : { retryAt: held };
      }
      this.scanned = record.position;
      acted = true;
      const taken = await this.work.take(record);
      // While it sent, another instance took over or a replay moved the position (read by a write that
      // lost its race): what this batch did is theirs to count, and a checkpoint from here would move the
      // position back. It goes on from the kept position at the next step.
      if (this.overtaken(moves)) return 'progress';
      if (taken === 'batched' || batchedTo !== undefined) {
        batchedTo = record.position;
        continue;
      }
      if (typeof taken === 'object') {
        this.scanned = undefined;
        await this.keep();
        // Nobody else tries before the retry is due; a holder that dies meanwhile leaves it for one lease more.
        await this.hold(taken.retryAt.getTime() + this.leaseMs);
        return taken;
      }
      this.done = record.position;
      // A crash does again what came after the last checkpoint: keep that short.
      if (taken === 'sent' && ++this.sinceKept >= (this.deps.keepEvery ?? Infinity)) await this.keep();
    }
    if (batchedTo !== undefined) {
      await this.work.endOfBatch?.();
      if (this.overtaken(moves)) return 'progress';
      this.done = batchedTo;
    }
    await this.keep();
    return acted || batch.length === limit ? 'progress' : 'idle';
  }

  /** The stream moved the position since the batch was read, or the lease is another's now. */
  private overtaken(moves: number): boolean {
    if (this.moves === moves && this.holding) return false;
    this.scanned = undefined;
    return true;
  }

  /** Writes the checkpoint down when it says something new. */
  private async keep(): Promise<void> {
    const event = this.work.checkpoint(this.done);
    const key = JSON.stringify(event.data);
    if (key === this.lastKept) return;
    this.sinceKept = 0;
    if (await this.write(event)) this.lastKept = key;
  }

  /**
   * True while this instance holds the lease (taken or renewed here when it runs out within half its
   * length); else when another's runs out.
   */
  private async hold(until?: number): Promise<true | Date> {
    for (;;) {
      const now = this.deps.clock.now().getTime();
      const lease = this.lease;
      if (lease && lease.holder !== this.holder && lease.until > now) return new Date(lease.until);
      const wanted = until ?? now + this.leaseMs;
      const mine = lease?.holder === this.holder && lease.until - now > this.leaseMs / 2;
      if (mine && lease!.until >= (until ?? 0)) return true;
      const data = { holder: this.holder, until: new Date(wanted).toISOString() };
      if (await this.kept.append([{ type: 'FollowerLeased', data }])) {
        if (!this.holding) this.deps.logger.info({ stream: this.deps.streamId, holder: this.holder }, 'took the lease');
        this.lease = { holder: this.holder, until: wanted };
        return true;
      }
      await this.refresh();
    }
  }

  private async refresh(): Promise<void> {
    const news = await this.kept.readNew();
    const own: E[] = [];
    for (const event of news) {
      if (event.type !== 'FollowerLeased') own.push(event as E);
      else {
        const { holder, until } = (event as FollowerLeased).data;
        this.lease = { holder, until: Date.parse(until) };
      }
    }
    if (own.length === 0) return;
    const moved = this.work.readKept(own, this.done);
    if (!moved) return;
    this.done = moved.position;
    this.lastKept = JSON.stringify(this.work.checkpoint(this.done).data);
    this.scanned = undefined;
    this.moves++;
  }
}
