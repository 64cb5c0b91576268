import { evolve, incidentEventSchema, initialState, INCIDENT_STREAM_PREFIX, type IncidentEvent, type IncidentState } from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import { parseIncidentId } from './incident-ids.ts';

export interface IndexedIncident {
  state: IncidentState & { exists: true };
  revision: number;
}

/**
 * Every incident's current state, kept from the store: rebuilt on start by reading every incident stream,
 * then followed live. Commands decide on it, guarded by its revision as the store's expected revision
 * (a stale entry costs one conflict and one re-read); it tells what is due and what exists, and answers
 * the incident API.
 */
export class IncidentIndex {
  private readonly incidents = new Map<string, IndexedIncident>();
  private readonly latestGeneration = new Map<string, number>();
  /** Group key → ids of its incidents, so an acknowledgement or resolution finds them whatever route opened them. */
  private readonly byGroup = new Map<string, Set<string>>();
  private highestNumber = 0;
  private highestBundleSeen = 0;
  private readonly listeners = new Set<(incidentId: string) => void>();

  /** Applies events of one stream; events at or below the known revision were seen already and are skipped. */
  apply(incidentId: string, events: Array<{ revision: number; event: IncidentEvent }>): void {
    const known = this.incidents.get(incidentId);
    let state: IncidentState = known?.state ?? initialState();
    let revision = known?.revision ?? -1;
    for (const { revision: r, event } of events) {
      if (r <= revision) continue;
      if (r !== revision + 1) throw new Error(`incident ${incidentId}: revision ${r} after ${revision}, a gap in the stream`);
      state = evolve(state, event);
      revision = r;
      if (event.type === 'PageDelivered' && event.data.bundle !== undefined) this.highestBundleSeen = Math.max(this.highestBundleSeen, event.data.bundle);
    }
    if (!state.exists || revision === known?.revision) return;
    if (!known) this.byGroup.set(state.groupKey, (this.byGroup.get(state.groupKey) ?? new Set()).add(incidentId));
    this.incidents.set(incidentId, { state, revision });
    this.highestNumber = Math.max(this.highestNumber, state.number);
    const id = parseIncidentId(incidentId);
    if (id && id.generation > (this.latestGeneration.get(id.slot) ?? 0)) this.latestGeneration.set(id.slot, id.generation);
    for (const listener of this.listeners) listener(incidentId);
  }

  applyRecorded(records: RecordedEvent[]): void {
    const byStream = new Map<string, Array<{ revision: number; event: IncidentEvent }>>();
    for (const record of records) {
      if (!record.streamId.startsWith(INCIDENT_STREAM_PREFIX)) continue;
      const event = incidentEventSchema.parse({ type: record.type, data: record.data });
      const id = record.streamId.slice(INCIDENT_STREAM_PREFIX.length);
      byStream.set(id, [...(byStream.get(id) ?? []), { revision: record.revision, event }]);
    }
    for (const [id, events] of byStream) this.apply(id, events);
  }

  get(incidentId: string): IndexedIncident | undefined {
    return this.incidents.get(incidentId);
  }

  all(): IndexedIncident[] {
    return [...this.incidents.values()];
  }

  unresolved(): IndexedIncident[] {
    return this.all().filter((i) => i.state.status !== 'resolved');
  }

  /** The group's incidents that are not resolved, from every route that opened one. */
  unresolvedOfGroup(groupKey: string): IndexedIncident[] {
    return [...(this.byGroup.get(groupKey) ?? [])].map((id) => this.incidents.get(id)!).filter((i) => i.state.status !== 'resolved');
  }

  generationHint(slot: string): number {
    return this.latestGeneration.get(slot) ?? 1;
  }

  highestBundle(): number {
    return this.highestBundleSeen;
  }

  /** Incidents with a page that went out in this bundle to this contact: what the bundle's reply code acts on. */
  inBundle(bundle: number, contact: string): IndexedIncident[] {
    return this.all().filter(({ state }) => Object.values(state.pages).some((p) => p.bundle === bundle && p.contact === contact));
  }

  nextNumber(): number {
    return this.highestNumber + 1;
  }

  onChange(listener: (incidentId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
