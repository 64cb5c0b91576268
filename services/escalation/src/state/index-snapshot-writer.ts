import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@klaxon/service-kit';
import type { IncidentIndex } from './incident-index.ts';
import { writeIndexSnapshot } from './index-snapshot.ts';

/**
 * Writes the index down every `everyMs` when it moved on, and once more at stop, so a restart (or a
 * crash) folds only what came after the last one. A write that fails is logged and tried at the next turn:
 * the snapshot only saves time, the store keeps everything.
 */
export class IndexSnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private writtenAt: string | undefined;

  constructor(private readonly deps: { index: IncidentIndex; path: string; everyMs: number; logger: Logger }) {}

  start(): void {
    this.timer = setInterval(() => void this.write(), this.deps.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
    await this.write();
  }

  /** Writes the index if it moved since the last write; resolves when written or given up. */
  write(): Promise<void> {
    this.writing ??= this.writeOnce().finally(() => (this.writing = undefined));
    return this.writing;
  }

  private async writeOnce(): Promise<void> {
    const { index, path, logger } = this.deps;
    const snapshot = index.snapshot();
    if (!snapshot || snapshot.header.last.position === this.writtenAt) return;
    const started = performance.now();
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeIndexSnapshot(path, snapshot);
      this.writtenAt = snapshot.header.last.position;
      const ms = Math.round(performance.now() - started);
      logger.info(
        { path, position: snapshot.header.last.position, entries: snapshot.entries.length, ms },
        'incident index snapshot written',
      );
    } catch (error) {
      logger.warn({ err: error, path }, 'writing the incident index snapshot failed; the next turn tries again');
    }
  }
}
