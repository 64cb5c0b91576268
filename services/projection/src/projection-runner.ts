import type { EventStore } from '@klaxon/event-store';
import type { Logger } from '@klaxon/service-kit';
import { applyBatch } from './read-model/projector.ts';
import { readCheckpoint, type Tables } from './read-model/schema.ts';
import type { SqlDatabase } from './read-model/sql-database.ts';

export interface ProjectionRunnerOptions {
  batchSize?: number;
  pollMs?: number;
  onApplied?: (applied: number) => void;
}

/**
 * Follows the store into the read models. Each round reads the checkpoint from the read model itself,
 * so it goes on correctly after a crash, and after a rebuild swapped new tables in underneath it.
 */
export class ProjectionRunner {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly db: SqlDatabase,
    private readonly tables: Tables,
    private readonly logger: Logger,
    private readonly options: ProjectionRunnerOptions = {},
  ) {}

  /** Applies everything there is now; true when it applied anything. */
  async step(): Promise<boolean> {
    const after = await readCheckpoint(this.db, this.tables);
    const batch = await this.store.readAll({ after, limit: this.options.batchSize ?? 1000 });
    if (batch.length === 0) return false;
    const { applied } = await this.db.transaction((tx) => applyBatch(tx, this.tables, batch));
    this.options.onApplied?.(applied);
    return true;
  }

  async catchUp(): Promise<void> {
    while (await this.step());
  }

  start(): void {
    this.stopped = false;
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          if (await this.step()) continue;
        } catch (error) {
          this.logger.error({ err: error }, 'projection step failed; retrying');
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollMs ?? 200);
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
}
