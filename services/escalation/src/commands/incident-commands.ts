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
import type { AfterCommit } from '../after-commit/after-commit.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { NumberClaims } from './number-claims.ts';

export type Execution =
  { ok: true; events: IncidentEvent[]; state: IncidentState; revision: number } | { ok: false; error: IncidentError };

const MAX_ATTEMPTS = 8;
/** A stream with nothing in it yet, as `load` would read it. */
const NEW_STREAM = { state: incidentDecider.initialState(), revision: undefined } as const;
const CONFLICT_BACKOFF_MS = 2;

export interface HistoryEntry {
  revision: number;
  recordedAt: string;
  event: IncidentEvent;
}

/**
 * Runs commands against incident streams: read, decide, append at the expected revision. When another
 * instance appended first, the command is decided again on the new state, so a racing timer or page
 * outcome lands once or finds itself moot, never twice. What it appends, and what it reads that it did
 * not know, goes to the after-commit step; it touches nothing else.
 */
export class IncidentCommands {
  constructor(
    private readonly store: EventStore,
    /** Where a command decides from: the state folded by the after-commit step. */
    private readonly index: IncidentIndex,
    /** Where an opening incident's number comes from: unique across every instance on the store. */
    private readonly numbers: NumberClaims,
    private readonly afterCommit: () => AfterCommit,
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
    if (history.length > 0) this.afterCommit().observed(incidentId, history);
    return {
      state: evolveAll(
        history.map((h) => h.event),
        incidentDecider.initialState(),
      ),
      revision: records.at(-1)?.revision,
      history,
    };
  }

  /** The incident as the index holds it, while it may still act. */
  known(incidentId: string): IncidentState | undefined {
    return this.index.get(incidentId)?.state;
  }

  /**
   * The incident as its stream stands now: what the index holds, with whatever was appended since (by
   * another instance too) read and folded in. Undefined for an incident that may no longer act.
   */
  async latest(incidentId: string): Promise<IncidentState | undefined> {
    const known = this.index.get(incidentId);
    if (!known) return undefined;
    const records = await this.store.readStream(incidentStream(incidentId), known.revision + 1);
    if (records.length === 0) return known.state;
    const events = records.map((r) => ({
      revision: r.revision,
      event: incidentEventSchema.parse({ type: r.type, data: r.data }),
    }));
    const after = evolveAll(
      events.map((e) => e.event),
      known.state,
    );
    this.afterCommit().observed(incidentId, events, { state: known.state, revision: known.revision, after });
    return after;
  }

  /**
   * `build` sees the incident's state and says what to do; undefined means nothing. The first attempt
   * decides on the state the index holds, with its revision as the expected revision: if anyone appended
   * since, the store refuses, and the stream is read again and the command decided afresh.
   */
  async execute(incidentId: string, build: (state: IncidentState) => IncidentCommand | undefined): Promise<Execution> {
    // An opening is numbered here, not by whoever built it: the number must be one no other instance holds.
    let number: number | undefined;
    // Used, or perhaps used: an append that threw may have gone through, and a number is never given twice.
    let numbered = false;
    try {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const known = attempt === 1 ? this.index.get(incidentId) : undefined;
        // An incident the index holds nothing of (not even as settled) is almost always a new one (a
        // group's opening): decided at once on an empty stream, without a read first, since the store
        // refuses the append if the stream is there after all (another instance's, not yet followed here).
        // Anything but events to append is decided again on the stream as read.
        const guess = attempt === 1 && !known && !this.index.holds(incidentId);
        const { state, revision } = known ?? (guess ? NEW_STREAM : await this.load(incidentId));
        let command = build(state);
        if (command?.type === 'OpenIncident') command = { ...command, number: (number ??= await this.numbers.take()) };
        const decision = command && decideAndFold(command, state);
        if (guess && !(decision?.ok && decision.value.events.length > 0)) continue;
        if (decision && !decision.ok) return { ok: false, error: decision.error };
        const events = decision?.value.events ?? [];
        if (!decision || events.length === 0) return { ok: true, events: [], state, revision: revision ?? -1 };
        // Only an opening carries the number.
        numbered = command?.type === 'OpenIncident';
        const appended = await this.store.append(
          incidentStream(incidentId),
          events.map((e) => ({ type: e.type, data: e.data })),
          revision ?? 'no_stream',
        );
        numbered = appended.ok && command?.type === 'OpenIncident';
        if (!appended.ok) {
          // Another writer got there first: decide again on its result, after a short jittered pause so
          // that writers racing on one hot stream spread out instead of colliding again at once.
          if (attempt > 1) await setTimeout(Math.random() * CONFLICT_BACKOFF_MS * 2 ** (attempt - 2));
          continue;
        }
        const first = (revision ?? -1) + 1;
        const after = decision.value.state;
        this.afterCommit().committed(
          incidentId,
          events.map((event, i) => ({ revision: first + i, event })),
          { state, revision: revision ?? -1, after },
        );
        return { ok: true, events, state: after, revision: appended.value.nextExpectedRevision };
      }
    } finally {
      if (number !== undefined && !numbered) this.numbers.giveBack(number);
    }
    throw new Error(`incident ${incidentId}: gave up after ${MAX_ATTEMPTS} concurrent appends`);
  }
}
