import { INCIDENT_STREAM_PREFIX } from '@klaxon/domain';
import type { EventStore, Subscription } from '@klaxon/event-store';
import type { Logger } from '@klaxon/service-kit';
import type { AfterCommit } from '../after-commit/after-commit.ts';
import { loadIndexSnapshot } from '../state/index-snapshot.ts';
import type { IncidentIndex } from '../state/incident-index.ts';

export interface IncidentFollowingDeps {
  store: EventStore;
  index: IncidentIndex;
  afterCommit: AfterCommit;
  logger: Logger;
  /** Where the incident index was written down; without it, every start replays the whole store. */
  snapshotPath?: string;
}

/**
 * The incident state from the store: restored from its snapshot (or replayed), then kept current by a
 * subscription whose every batch goes through the after-commit step, as this instance's own commits do.
 */
export class IncidentFollowing {
  private subscription: Subscription | undefined;
  private lost: unknown;

  constructor(private readonly deps: IncidentFollowingDeps) {}

  async start(): Promise<void> {
    const { store, afterCommit, logger } = this.deps;
    const after = this.deps.snapshotPath ? await this.restoreSnapshot(this.deps.snapshotPath) : undefined;
    this.subscription = store.subscribe({
      after,
      streamPrefix: INCIDENT_STREAM_PREFIX,
      onEvents: (batch) => afterCommit.observedRecords(batch),
      onError: (error) => {
        this.lost = error;
        logger.fatal({ err: error }, 'lost the event store subscription');
      },
      onInterrupted: (error, retryInMs) =>
        logger.warn(
          { err: error, retryInMs },
          'the event store connection broke; following it again from the last position',
        ),
    });
    await this.subscription.caughtUp();
  }

  stop(): Promise<void> | undefined {
    return this.subscription?.stop();
  }

  /** Readiness: a stale picture fires wrong timers, so it is not ready and the orchestrator restarts the service. */
  async check(): Promise<{ incidents: number; open: number }> {
    if (!this.subscription) throw new Error('not started');
    if (this.lost) throw new Error(`stopped following the store: ${(this.lost as Error).message ?? this.lost}`);
    return { incidents: this.deps.index.size(), open: this.deps.index.unresolved().length };
  }

  /** Where the incident index starts: its snapshot, or nothing (the whole store is replayed). */
  private async restoreSnapshot(path: string): Promise<bigint | undefined> {
    const { store, index, logger } = this.deps;
    const loaded = await loadIndexSnapshot(
      path,
      store,
      (h) => index.restoreHeader(h),
      (e) => index.restoreEntry(e),
    );
    if (!loaded.header) {
      index.clear();
      logger.info({ path, reason: loaded.reason }, 'no usable incident index snapshot; replaying the whole store');
      return undefined;
    }
    logger.info(
      { path, position: loaded.header.last.position, incidents: index.size() },
      'incident index restored from its snapshot; following the store from there',
    );
    return BigInt(loaded.header.last.position);
  }
}
