import type { EventStore } from '@klaxon/event-store';
import type { Logger } from '@klaxon/service-kit';
import { applyOrQuarantine, type QuarantinedEvent } from './read-model/apply-or-quarantine.ts';
import { readCheckpoint, type Tables } from './read-model/schema.ts';
import type { SqlDatabase } from './read-model/sql-database.ts';

export interface ProjectionRunnerOptions {
  batchSize?: number;
  pollMs?: number;
  /** First pause after a failed step (the store or the read model unreachable); doubles up to `maxRetryMs`. */
  retryMs?: number;
  maxRetryMs?: number;
  onApplied?: (applied: number) => void;
  onQuarantined?: (event: QuarantinedEvent) => void;
  now?: () => Date;
}

/**
 * Follows the store into the read models. Each round reads the checkpoint from the read model itself,
 * so it goes on correctly after a crash, and after a rebuild swapped new tables in underneath it.
 *
 * An event it cannot apply is quarantined and passed; a store or read model that cannot be reached is
 * waited out with backoff, from the same checkpoint. Either way the loop never ends but by `stop()`.
 */
export class ProjectionRunner {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** When the checkpoint last moved or the runner last found nothing left to apply. */
  private advancedAt: Date;
  private lastFailure: unknown;
  /** The checkpoint as last read or written here, so that a stall can be told while the read model is down. */
  private position: bigint | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly db: SqlDatabase,
    private readonly tables: Tables,
    private readonly logger: Logger,
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.advancedAt = this.now();
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Applies everything there is now; true when it applied anything. */
  async step(): Promise<boolean> {
    const after = await readCheckpoint(this.db, this.tables);
    this.position = after;
    const batch = await this.store.readAll({ after, limit: this.options.batchSize ?? 1000 });
    if (batch.length === 0) {
      this.advancedAt = this.now();
      return false;
    }
    const { applied, quarantined } = await applyOrQuarantine(this.db, this.tables, batch, () => this.now());
    for (const event of quarantined) {
      this.logger.error(
        {
          position: event.record.position.toString(),
          streamId: event.record.streamId,
          type: event.record.type,
          reason: event.reason,
        },
        'quarantined an event the read models cannot take; going on without it',
      );
      this.options.onQuarantined?.(event);
    }
    this.options.onApplied?.(applied);
    this.position = batch.at(-1)!.position;
    this.advancedAt = this.now();
    return true;
  }

  async catchUp(): Promise<void> {
    while (await this.step());
  }

  start(): void {
    this.stopped = false;
    const firstRetryMs = this.options.retryMs ?? 500;
    const maxRetryMs = this.options.maxRetryMs ?? 30_000;
    this.loop = (async () => {
      let failures = 0;
      while (!this.stopped) {
        let pauseMs = this.options.pollMs ?? 200;
        try {
          const applied = await this.step();
          failures = 0;
          this.lastFailure = undefined;
          if (applied) continue;
        } catch (error) {
          pauseMs = Math.min(maxRetryMs, firstRetryMs * 2 ** failures++);
          this.lastFailure = error;
          this.logger.warn({ err: error, retryInMs: pauseMs }, 'projection step failed; retrying from the checkpoint');
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pauseMs);
          this.wake = () => (clearTimeout(timer), resolve());
        });
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  checkpoint(): Promise<bigint | undefined> {
    return readCheckpoint(this.db, this.tables);
  }

  /**
   * Why the running projection counts as stalled: it has not advanced for longer than `afterMs` while
   * events wait to be applied. Undefined when it is not stalled.
   */
  async stalled(afterMs: number): Promise<string | undefined> {
    if (this.stopped) return undefined;
    const idleMs = this.now().getTime() - this.advancedAt.getTime();
    if (idleMs <= afterMs) return undefined;
    const [waiting] = await this.store.readAll({ after: this.position, limit: 1 });
    if (!waiting) return undefined;
    const failure = this.lastFailure === undefined ? '' : `; last failure: ${(this.lastFailure as Error).message}`;
    return `the projection has not advanced for ${Math.round(idleMs / 1000)} s while events wait (next at position ${waiting.position})${failure}`;
  }
}
