import type { ZodType } from 'zod';
import type { EventStore } from '@klaxon/event-store';

/**
 * A follower's own stream in the store, where it keeps how far it got: read once at start and again
 * whenever someone else wrote to it (another instance, a replay asked for over the API). Appends go at the
 * revision last read, so a write made elsewhere is read before this one lands.
 */
export class KeptStream<E extends { type: string; data: unknown }> {
  private revision: number | 'no_stream' = 'no_stream';

  constructor(
    private readonly store: EventStore,
    readonly streamId: string,
    private readonly schema: ZodType<E>,
  ) {}

  /** Whether anything was ever written (as of the last read): a follower new to this store has nothing. */
  get exists(): boolean {
    return this.revision !== 'no_stream';
  }

  /** The events written since the last read, in order; those this version cannot read are passed over. */
  async readNew(): Promise<E[]> {
    const from = this.revision === 'no_stream' ? 0 : this.revision + 1;
    const records = await this.store.readStream(this.streamId, from);
    const events: E[] = [];
    for (const record of records) {
      this.revision = record.revision;
      const parsed = this.schema.safeParse({ type: record.type, data: record.data });
      if (parsed.success) events.push(parsed.data);
    }
    return events;
  }

  /** False when the stream moved on since the last read: read it again, then decide again. */
  async append(events: E[]): Promise<boolean> {
    const result = await this.store.append(
      this.streamId,
      events.map((e) => ({ type: e.type, data: e.data })),
      this.revision,
    );
    if (!result.ok) return false;
    this.revision = result.value.nextExpectedRevision;
    return true;
  }
}
