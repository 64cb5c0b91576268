import { setTimeout } from 'node:timers/promises';
import {
  decideAndFold,
  evolveAll,
  incidentDecider,
  incidentEventSchema,
  incidentStream,
  type IncidentCommand,
  type IncidentError,
  type IncidentEvent,
  type IncidentState,
} from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { IncidentIndex } from './incident-index.ts';

export type Execution =
  { ok: true; events: IncidentEvent[]; state: IncidentState; revision: number } | { ok: false; error: IncidentError };

const MAX_ATTEMPTS = 8;
const CONFLICT_BACKOFF_MS = 2;

export interface HistoryEntry {
  revision: number;
  recordedAt: string;
  event: IncidentEvent;
}

/**
 * Runs commands against incident streams: read, decide, append at the expected revision. When another
 * instance appended first, the command is decided again on the new state, so a racing timer or page
 * outcome lands once or finds itself moot, never twice.
 */
export class IncidentRepository {
  constructor(
    private readonly store: EventStore,
    private readonly index: IncidentIndex,
  ) {}

  /** The incident's state from its stream, with the stream itself (the timeline) as read. */
  async load(
    incidentId: string,
  ): Promise<{ state: IncidentState; revision: number | undefined; history: HistoryEntry[] }> {
    const records = await this.store.readStream(incidentStream(incidentId));
    const history = records.map((r) => ({
      revision: r.revision,
      recordedAt: r.recordedAt,
      event: incidentEventSchema.parse({ type: r.type, data: r.data }),
    }));
    if (history.length > 0) this.index.apply(incidentId, history);
    return {
      state: evolveAll(
        history.map((h) => h.event),
        incidentDecider.initialState(),
      ),
      revision: records.at(-1)?.revision,
      history,
    };
  }

  /**
   * `build` sees the incident's state and says what to do; undefined means nothing. The first attempt
   * decides on the state the index holds, with its revision as the expected revision: if anyone appended
   * since, the store refuses, and the stream is read again and the command decided afresh.
   */
  async execute(incidentId: string, build: (state: IncidentState) => IncidentCommand | undefined): Promise<Execution> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const known = attempt === 1 ? this.index.get(incidentId) : undefined;
      const { state, revision } = known ?? (await this.load(incidentId));
      const command = build(state);
      const decision = command && decideAndFold(command, state);
      if (decision && !decision.ok) return { ok: false, error: decision.error };
      const events = decision?.value.events ?? [];
      if (!decision || events.length === 0) return { ok: true, events: [], state, revision: revision ?? -1 };
      const appended = await this.store.append(
        incidentStream(incidentId),
        events.map((e) => ({ type: e.type, data: e.data })),
        revision ?? 'no_stream',
      );
      if (!appended.ok) {
        // Another writer got there first: decide again on its result, after a short jittered pause so
        // that writers racing on one hot stream spread out instead of colliding again at once.
        if (attempt > 1) await setTimeout(Math.random() * CONFLICT_BACKOFF_MS * 2 ** (attempt - 2));
        continue;
      }
      const first = (revision ?? -1) + 1;
      const after = decision.value.state;
      this.index.apply(
        incidentId,
        events.map((event, i) => ({ revision: first + i, event })),
        { state, revision: revision ?? -1, after },
      );
      return { ok: true, events, state: after, revision: appended.value.nextExpectedRevision };
    }
    throw new Error(`incident ${incidentId}: gave up after ${MAX_ATTEMPTS} concurrent appends`);
  }
}
