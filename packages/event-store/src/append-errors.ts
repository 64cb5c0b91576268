import type { NewEvent } from './event-store.ts';

/**
 * An append refused for what its events hold (data JSON cannot carry, text PostgreSQL cannot keep): the
 * same append would be refused again, so retrying it is pointless. Only that append is refused; the others
 * committed beside it are not.
 */
export class UnstorableEvents extends Error {
  readonly code = 'UnstorableEvents';
  readonly retryable = false;
  constructor(
    readonly streamId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    // The store's own words: callers compare and log them as they would the store's error.
    super(reason, options);
    this.name = 'UnstorableEvents';
  }
}

/**
 * An append the store did not take because it could not be reached or failed as a whole (a connection
 * refused or cut, a database shutting down): nothing of it was kept unless the commit itself was cut, and
 * the same append may go through once the store is back.
 */
export class EventStoreUnavailable extends Error {
  readonly code = 'EventStoreUnavailable';
  readonly retryable = true;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'EventStoreUnavailable';
  }
}

export interface SerialisedEvent {
  type: string;
  data: string;
  metadata: string | null;
}

/** An append's events as JSON text, or the reason JSON cannot carry them (a BigInt, a cycle, no data at all). */
export function serialiseEvents(streamId: string, events: NewEvent[]): SerialisedEvent[] | UnstorableEvents {
  try {
    return events.map((e) => {
      const data = JSON.stringify(e.data) as string | undefined;
      if (data === undefined) throw new Error(`a ${e.type} event has no JSON data`);
      // Metadata that comes out as nothing (a toJSON giving undefined or null) is none, on every store.
      const metadata = e.metadata ? (JSON.stringify(e.metadata) as string | undefined) : undefined;
      return { type: e.type, data, metadata: metadata === undefined || metadata === 'null' ? null : metadata };
    });
  } catch (error) {
    return new UnstorableEvents(streamId, (error as Error).message, { cause: error });
  }
}
