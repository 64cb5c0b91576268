import {
  evolve,
  incidentEventSchema,
  initialState,
  INCIDENT_STREAM_PREFIX,
  type IncidentEvent,
  type IncidentState,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent } from '@klaxon/event-store';

export interface Folded {
  incidentId: string;
  event: IncidentEvent;
  /** The incident before the event and after it. */
  before: IncidentState;
  after: IncidentState;
}

const KEEP = 5_000;

/**
 * The incidents as a follower of the store sees them, one event at a time. A follower may start anywhere in
 * history (its kept position) or go back (a replay): an incident whose last event seen is not the one just
 * before is read again from its stream, so every event is seen against the state it was decided on.
 */
export class IncidentFolds {
  private readonly states = new Map<string, { revision: number; state: IncidentState }>();

  constructor(private readonly store: EventStore) {}

  /** Undefined for events of other streams and for records that are no incident event (left to others). */
  async fold(record: RecordedEvent): Promise<Folded | undefined> {
    if (!record.streamId.startsWith(INCIDENT_STREAM_PREFIX)) return undefined;
    const parsed = incidentEventSchema.safeParse({ type: record.type, data: record.data });
    if (!parsed.success) return undefined;
    const incidentId = record.streamId.slice(INCIDENT_STREAM_PREFIX.length);
    const before = await this.stateBefore(record);
    const after = evolve(before, parsed.data);
    this.states.delete(record.streamId);
    this.states.set(record.streamId, { revision: record.revision, state: after });
    if (this.states.size > KEEP) this.states.delete(this.states.keys().next().value!);
    return { incidentId, event: parsed.data, before, after };
  }

  private async stateBefore(record: RecordedEvent): Promise<IncidentState> {
    const known = this.states.get(record.streamId);
    if (known && known.revision === record.revision - 1) return known.state;
    if (record.revision === 0) return initialState();
    let state = initialState();
    for (const earlier of await this.store.readStream(record.streamId)) {
      if (earlier.revision >= record.revision) break;
      const parsed = incidentEventSchema.safeParse({ type: earlier.type, data: earlier.data });
      if (parsed.success) state = evolve(state, parsed.data);
    }
    return state;
  }
}
