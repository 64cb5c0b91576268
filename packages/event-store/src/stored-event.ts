import type { RecordedEvent } from './event-store.ts';

export interface StoredEventFields {
  eventId: string;
  streamId: string;
  revision: number;
  position: bigint;
  type: string;
  /** The event's data as the store holds it: JSON text, parsed when first read. */
  dataText: string;
  metadata: Record<string, unknown>;
  recordedAt: string;
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

  constructor(fields: StoredEventFields) {
    this.eventId = fields.eventId;
    this.streamId = fields.streamId;
    this.revision = fields.revision;
    this.position = fields.position;
    this.type = fields.type;
    this.metadata = fields.metadata;
    this.recordedAt = fields.recordedAt;
    this.#text = fields.dataText;
  }

  get data(): unknown {
    if (this.#text !== undefined) {
      this.#data = JSON.parse(this.#text);
      this.#text = undefined;
    }
    return this.#data;
  }
}
