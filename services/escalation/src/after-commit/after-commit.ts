import type { IncidentEvent, IncidentState } from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import type { Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { IncidentIndex } from '../state/incident-index.ts';

export type NumberedEvents = Array<{ revision: number; event: IncidentEvent }>;

/** The state the events follow, when the caller holds it, and the state they lead to, when it folded them. */
export interface Base {
  state: IncidentState;
  revision: number;
  after?: IncidentState;
}

/**
 * What the step hands on to, as it sees them: the timer runner and the outbound pipeline, which themselves run
 * commands (so this file names neither, and commands → after-commit → pipeline → commands is no import loop).
 */
export interface AfterCommitDeps {
  index: IncidentIndex;
  timers: { changed(incidentId: string): void };
  outbound: { offer(incidentId: string, state: IncidentState, current?: boolean): void };
  /** Whether this instance fires the incident's timers and sends its pages. */
  owns: (incidentId: string) => boolean;
  /** Reads a stale incident's stream again whole; what it reads comes back through `observed`. */
  reread: (incidentId: string) => Promise<unknown>;
  logger: Logger;
  incidentsOpened: Counter<'severity'>;
  escalations: Counter<'reason'>;
}

export interface AfterCommit {
  /** Events this instance appended to an incident's stream. */
  committed(incidentId: string, events: NumberedEvents, base: Base): void;
  /** Events of one stream read from the store (appended by anyone, this instance or another). */
  observed(incidentId: string, events: NumberedEvents, base?: Base): void;
  /** What the store subscription brings, many streams at once. */
  observedRecords(records: RecordedEvent[]): void;
  /** The picture is complete (the store was read to its end): from now on, timers run and pages go out. */
  goLive(): void;
}

/**
 * Everything that follows the events of an incident, in this order, written here and nowhere else:
 *
 * 1. **fold**: into the incident index, the state the next command decides on and every read shows;
 * 2. **note**: metrics and logs of what this instance decided (its own commits only, so that two instances
 *    never count one escalation twice; counted even when the store's subscription folded them first);
 * 3. **timers**: the incident's next due time, re-armed;
 * 4. **outbound**: the pages the incident now asks for, handed to the outbound pipeline, by the instance
 *    that owns it, once the picture is complete (mid-replay a page's outcome may still be ahead).
 *
 * A settled incident that new events cannot be folded onto (another instance reopened it) is read again
 * whole, and what is read comes back here.
 *
 * Commands, the store subscription and the stream reads all end here, so the order cannot depend on who
 * registered what first.
 */
export function afterCommitStep(deps: AfterCommitDeps): AfterCommit {
  const { index, timers, outbound, owns, logger } = deps;
  let live = false;

  const note = (incidentId: string, events: NumberedEvents) => {
    for (const { event } of events) {
      if (event.type === 'IncidentOpened') {
        const { severity, policy, groupKey } = event.data;
        deps.incidentsOpened.inc({ severity });
        logger.info({ incidentId, severity, policy, groupKey }, 'incident opened');
      } else if (event.type === 'Escalated') {
        const { fromLevel, toLevel, reason } = event.data;
        deps.escalations.inc({ reason });
        logger.info({ incidentId, from: `L${fromLevel}`, to: `L${toLevel}`, reason }, 'escalated');
      }
    }
  };

  const reread = (incidentId: string) =>
    void deps
      .reread(incidentId)
      .catch((error: unknown) => logger.error({ err: error, incidentId }, 'reading a settled incident again failed'));

  const fold = (incidentId: string, events: NumberedEvents, base?: Base) => {
    const outcome = index.apply(incidentId, events, base);
    if (outcome === 'stale') reread(incidentId);
    else if (outcome === 'changed') follow(incidentId);
  };

  const follow = (incidentId: string) => {
    // The timer runner takes changes once it tracks (from its first look, after going live); pages wait for live.
    timers.changed(incidentId);
    const current = live ? index.get(incidentId) : undefined;
    // The index's state of the incident is as of this commit or read: current.
    if (current && owns(incidentId)) outbound.offer(incidentId, current.state, true);
  };

  return {
    committed(incidentId, events, base) {
      // Noted whatever the fold says: the subscription or a read may have brought these very events first.
      note(incidentId, events);
      fold(incidentId, events, base);
    },
    observed(incidentId, events, base) {
      fold(incidentId, events, base);
    },
    observedRecords(records) {
      const { changed, stale } = index.applyRecorded(records);
      for (const incidentId of stale) reread(incidentId);
      for (const incidentId of changed) follow(incidentId);
    },
    goLive() {
      live = true;
    },
  };
}
