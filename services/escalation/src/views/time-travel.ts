import { evolveAll, incidentDecider, type IncidentState } from '@klaxon/domain';
import type { HistoryEntry } from '../commands/incident-commands.ts';

/**
 * When a fact happened, in the incident's own time: the instant its command carried (`at`, or `openedAt`
 * when it opened). Facts recorded with another (a scheduled escalation, its due time) happened with the
 * fact before them in the same decision. The store's `recordedAt` is the last resort: it is the store's
 * clock, not the incident's.
 */
export function factTimes(history: HistoryEntry[]): string[] {
  let previous: string | undefined;
  return history.map(({ event, recordedAt }) => {
    const data = event.data as { at?: string; openedAt?: string };
    previous = data.at ?? data.openedAt ?? previous ?? recordedAt;
    return previous;
  });
}

/** The incident as it stood at an instant: its facts up to and including it, folded. */
export function asOf(history: HistoryEntry[], at: string): { state: IncidentState; history: HistoryEntry[] } {
  const atMs = Date.parse(at);
  const times = factTimes(history);
  const upTo = history.filter((_, i) => Date.parse(times[i]!) <= atMs);
  return {
    state: evolveAll(
      upTo.map((h) => h.event),
      incidentDecider.initialState(),
    ),
    history: upTo,
  };
}
