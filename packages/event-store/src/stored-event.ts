import type { RecordedEvent } from './event-store.ts';

/** An events table's row as both SQL stores read it, `recorded_at` as ISO-8601 text. */
export interface EventRow {
  event_id: string;
  stream_id: string;
  revision: number | bigint | string;
  position: number | bigint | string;
  type: string;
  /** The event's data as the store holds it: JSON text, parsed when first read. */
  data: string;
  metadata: string | null;
  recorded_at: string;
}

/**
 * An event read back, its data parsed when first read. Followers skip most of what they read without
 * looking at it (escalation its own appends, by revision; the projection alerts attached, by type): in a
 * storm, parsing every event's data up front was a tenth of the worker thread's CPU. A class, not an object
 * literal with a getter: those are built slowly and take more memory, and a full replay builds a million.
 */
export class StoredEvent implements RecordedEvent {
  readonly eventId: string;
  readonly streamId: string;
  readonly revision: number;
  readonly position: bigint;
  readonly type: string;
  readonly metadata: Record<string, unknown>;
  readonly recordedAt: string;
  #text: string | undefined;
  #data: unknown;

  constructor(row: EventRow) {
    this.eventId = row.event_id;
    this.streamId = row.stream_id;
    this.revision = Number(row.revision);
    this.position = BigInt(row.position);
    this.type = row.type;
    this.metadata = row.metadata ? (JSON.parse(row.metadata) as Record<string, unknown>) : {};
    this.recordedAt = row.recorded_at;
    this.#text = row.data;
  }

  get data(): unknown {
    if (this.#text !== undefined) {
      this.#data = JSON.parse(this.#text);
      this.#text = undefined;
    }
    return this.#data;
  }
}
