import {
  evolve,
  incidentEventSchema,
  incidentFromJson,
  initialState,
  isSettled,
  INCIDENT_STREAM_PREFIX,
  type IncidentEvent,
  type IncidentJson,
  type IncidentState,
} from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import { parseIncidentId } from './incident-ids.ts';
import { incidentSummary, type IncidentSummary } from './incident-summary.ts';
import {
  INDEX_SNAPSHOT_VERSION,
  type IndexSnapshot,
  type SnapshotEntry,
  type SnapshotHeader,
} from './index-snapshot.ts';
import { StringPool } from './string-pool.ts';

export interface IndexedIncident {
  state: IncidentState & { exists: true };
  revision: number;
}

/** A settled incident: what lists show of it, and to whom it went by SMS (a reply naming its number finds it). */
export interface SettledIncident {
  summary: IncidentSummary;
  revision: number;
  smsContacts: string[];
}

/**
 * Every incident kept from the store: rebuilt on start by reading every incident stream, then followed
 * live. Incidents that may still act (unresolved, or resolved with a page still to send) are kept whole:
 * commands decide on that state, guarded by its revision as the store's expected revision (a stale entry
 * costs one conflict and one re-read), and it tells what is due. A settled incident, most of history, is
 * kept as its summary only, so memory follows what is open rather than all that ever happened; a command
 * on it reads its stream.
 */
export class IncidentIndex {
  private readonly active = new Map<string, IndexedIncident>();
  private readonly settled = new Map<string, SettledIncident>();
  private readonly latestGeneration = new Map<string, number>();
  /** Group key → ids of its incidents that may still act, so an acknowledgement or resolution finds them whatever route opened them. */
  private readonly byGroup = new Map<string, Set<string>>();
  private highestNumber = 0;
  private highestBundleSeen = 0;
  /** The last store event folded from the subscription: where a snapshot of this index stands. */
  private lastFolded: SnapshotHeader['last'] | undefined;
  private readonly pool = new StringPool();

  /**
   * Applies events of one stream; events at or below the known revision were seen already and are skipped.
   * `base` is the state the events follow, when the caller holds it (a command decided on a stream it read),
   * and `after` the state they lead to, when the caller has folded them already. Says whether the incident
   * changed here, or is `stale`: a settled incident, held as its summary, that events cannot be folded onto
   * (another instance reopened it) and whose stream must be read again whole.
   */
  apply(
    incidentId: string,
    events: Array<{ revision: number; event: IncidentEvent }>,
    base?: { state: IncidentState; revision: number; after?: IncidentState },
  ): 'changed' | 'unchanged' | 'stale' {
    const known = this.active.get(incidentId);
    const summarised = known ? undefined : this.settled.get(incidentId);
    let state: IncidentState = known?.state ?? initialState();
    let revision = known?.revision ?? -1;
    if (summarised) {
      if (base && base.revision >= summarised.revision) ({ state, revision } = base);
      else if (events[0]?.revision !== 0)
        return events.some((e) => e.revision > summarised.revision) ? 'stale' : 'unchanged';
    }
    // Folded by the caller onto the revision the index is at: the same state, not worth folding twice.
    const folded = base?.after !== undefined && revision === base.revision ? base.after : undefined;
    for (const { revision: r, event } of events) {
      if (r <= revision) continue;
      if (r !== revision + 1)
        throw new Error(`incident ${incidentId}: revision ${r} after ${revision}, a gap in the stream`);
      state = folded ?? evolve(state, event);
      revision = r;
      if (event.type === 'PageDelivered' && event.data.bundle !== undefined)
        this.highestBundleSeen = Math.max(this.highestBundleSeen, event.data.bundle);
    }
    const before = known?.revision ?? summarised?.revision;
    if (!state.exists || revision === before) return 'unchanged';
    if (isSettled(state)) {
      this.active.delete(incidentId);
      this.byGroup.get(state.groupKey)?.delete(incidentId);
      if (this.byGroup.get(state.groupKey)?.size === 0) this.byGroup.delete(state.groupKey);
      const smsContacts = [
        ...new Set(
          Object.values(state.pages)
            .filter((p) => p.channel === 'sms')
            .map((p) => p.contact),
        ),
      ];
      this.keepSummary(incidentId, incidentSummary(state), revision, smsContacts);
    } else {
      this.settled.delete(incidentId);
      this.byGroup.set(state.groupKey, (this.byGroup.get(state.groupKey) ?? new Set()).add(incidentId));
      this.active.set(incidentId, { state, revision });
    }
    this.highestNumber = Math.max(this.highestNumber, state.number);
    const id = parseIncidentId(incidentId);
    if (id && id.generation > (this.latestGeneration.get(id.slot) ?? 0))
      this.latestGeneration.set(id.slot, id.generation);
    return 'changed';
  }

  /** Events the store subscription brings: the ids of incidents that changed, and of those to read again whole. */
  applyRecorded(records: RecordedEvent[]): { changed: string[]; stale: string[] } {
    const byStream = new Map<string, Array<{ revision: number; event: IncidentEvent }>>();
    for (const record of records) {
      if (!record.streamId.startsWith(INCIDENT_STREAM_PREFIX)) continue;
      const id = record.streamId.slice(INCIDENT_STREAM_PREFIX.length);
      // Most of what the subscription brings is this instance's own appends, folded when they were made:
      // skipped before their data is checked and folded again.
      if (record.revision <= (this.active.get(id)?.revision ?? this.settled.get(id)?.revision ?? -1)) continue;
      const event = incidentEventSchema.parse({ type: record.type, data: record.data });
      const events = byStream.get(id);
      if (events) events.push({ revision: record.revision, event });
      else byStream.set(id, [{ revision: record.revision, event }]);
    }
    const changed: string[] = [];
    const stale: string[] = [];
    for (const [id, events] of byStream) {
      const outcome = this.apply(id, events);
      if (outcome === 'changed') changed.push(id);
      else if (outcome === 'stale') stale.push(id);
    }
    const last = records.findLast((r) => r.streamId.startsWith(INCIDENT_STREAM_PREFIX));
    if (last)
      this.lastFolded = {
        position: String(last.position),
        streamId: last.streamId,
        revision: last.revision,
        eventId: last.eventId,
      };
    return { changed, stale };
  }

  /**
   * Everything held here, to be written down; undefined before any event was folded. Taken at once (the
   * states are immutable) and serialised later. It may be ahead of `last` (a command's events are applied
   * before the subscription brings them): folding them again after a restore skips them by revision.
   */
  snapshot(): IndexSnapshot | undefined {
    if (!this.lastFolded) return undefined;
    const entries: SnapshotEntry[] = [];
    for (const [slot, generation] of this.latestGeneration) entries.push(['generation', slot, generation]);
    for (const [id, { summary, revision, smsContacts }] of this.settled)
      entries.push(['settled', id, revision, summary, smsContacts]);
    // A state's persistent maps write themselves as plain objects (toJSON); restoreEntry makes them maps again.
    for (const [id, { state, revision }] of this.active)
      entries.push(['acting', id, revision, state as unknown as IncidentJson & { exists: true }]);
    return {
      header: {
        version: INDEX_SNAPSHOT_VERSION,
        last: this.lastFolded,
        highestNumber: this.highestNumber,
        highestBundle: this.highestBundleSeen,
      },
      entries,
    };
  }

  /** Starts from a snapshot's header, before anything is folded: the store is then followed from its `last` event. */
  restoreHeader(header: SnapshotHeader): void {
    if (this.size() > 0 || this.lastFolded)
      throw new Error('an index restores a snapshot only before it folds anything');
    this.lastFolded = header.last;
    this.highestNumber = header.highestNumber;
    this.highestBundleSeen = header.highestBundle;
  }

  restoreEntry(entry: SnapshotEntry): void {
    switch (entry[0]) {
      case 'generation':
        this.latestGeneration.set(entry[1], entry[2]);
        return;
      case 'settled':
        this.keepSummary(entry[1], entry[3], entry[2], entry[4]);
        return;
      case 'acting': {
        const [, id, revision, json] = entry;
        const state = { exists: true as const, ...incidentFromJson(json) };
        this.active.set(id, { state, revision });
        this.byGroup.set(state.groupKey, (this.byGroup.get(state.groupKey) ?? new Set()).add(id));
      }
    }
  }

  /** Forgets everything, after a snapshot turned out unusable halfway through reading it. */
  clear(): void {
    for (const map of [this.active, this.settled, this.latestGeneration, this.byGroup]) map.clear();
    this.highestNumber = 0;
    this.highestBundleSeen = 0;
    this.lastFolded = undefined;
  }

  private keepSummary(incidentId: string, summary: IncidentSummary, revision: number, smsContacts: string[]): void {
    const p = this.pool;
    const by = (who: { by: string; via: string; at: string } | null) =>
      who && { ...who, by: p.get(who.by), via: p.get(who.via) };
    this.settled.set(incidentId, {
      summary: {
        ...summary,
        title: p.get(summary.title),
        service: p.get(summary.service),
        severity: p.get(summary.severity) as typeof summary.severity,
        status: p.get(summary.status) as typeof summary.status,
        level: p.get(summary.level) as typeof summary.level,
        policy: p.get(summary.policy),
        source: p.get(summary.source),
        labels: p.record(summary.labels),
        assignees: summary.assignees.map((a) => p.get(a)),
        acknowledged: by(summary.acknowledged) as typeof summary.acknowledged,
        resolved: by(summary.resolved) as typeof summary.resolved,
      },
      revision,
      smsContacts: smsContacts.map((c) => p.get(c)),
    });
  }

  /** Whether the store is known to hold the incident: one that may still act, or a settled one. */
  holds(incidentId: string): boolean {
    return this.active.has(incidentId) || this.settled.has(incidentId);
  }

  /** An incident that may still act, whole; undefined for one that is settled (or unknown). */
  get(incidentId: string): IndexedIncident | undefined {
    return this.active.get(incidentId);
  }

  /** Incidents that may still act: unresolved, or resolved with a page still to send. */
  acting(): IndexedIncident[] {
    return [...this.active.values()];
  }

  unresolved(): IndexedIncident[] {
    return this.acting().filter((i) => i.state.status !== 'resolved');
  }

  /** Every incident, as lists show it. */
  summaries(): IncidentSummary[] {
    return [
      ...this.acting().map(({ state }) => incidentSummary(state)),
      ...[...this.settled.values()].map((s) => s.summary),
    ];
  }

  size(): number {
    return this.active.size + this.settled.size;
  }

  /** Incidents paged to this contact by SMS, as a reply naming a number looks for them. */
  pagedBySms(contact: string): IncidentSummary[] {
    const acting = this.acting()
      .filter(({ state }) => Object.values(state.pages).some((p) => p.contact === contact && p.channel === 'sms'))
      .map(({ state }) => incidentSummary(state));
    return [
      ...acting,
      ...[...this.settled.values()].filter((s) => s.smsContacts.includes(contact)).map((s) => s.summary),
    ];
  }

  /** The group's incidents that are not resolved, from every route that opened one. */
  unresolvedOfGroup(groupKey: string): IndexedIncident[] {
    return [...(this.byGroup.get(groupKey) ?? [])]
      .map((id) => this.active.get(id)!)
      .filter((i) => i.state.status !== 'resolved');
  }

  generationHint(slot: string): number {
    return this.latestGeneration.get(slot) ?? 1;
  }

  highestBundle(): number {
    return this.highestBundleSeen;
  }

  /** Incidents with a page that went out in this bundle to this contact: what the bundle's reply code acts on. */
  inBundle(bundle: number, contact: string): IndexedIncident[] {
    return this.acting().filter(({ state }) =>
      Object.values(state.pages).some((p) => p.bundle === bundle && p.contact === contact),
    );
  }

  /**
   * The number an opening is decided with; incident commands give it the number it appends, claimed through
   * the store (NumberClaims), so that no two instances give one number twice.
   */
  reserveNumber(): number {
    return this.highestNumber + 1;
  }

  /** The highest incident number folded from the store: claims of numbers start above it. */
  highestNumberInUse(): number {
    return this.highestNumber;
  }
}
