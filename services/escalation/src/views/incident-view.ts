import { pendingTimers, type Incident } from '@klaxon/domain';
import type { HistoryEntry } from '../commands/incident-commands.ts';
import { incidentSummary } from '../state/incident-summary.ts';

/** What the incident API shows of one incident: its summary, with its alerts, pages and what it waits on. */
export function incidentView(s: Incident) {
  return {
    ...incidentSummary(s),
    alerts: s.alerts.statuses(),
    pendingTimers: pendingTimers({ exists: true, ...s }),
    pages: Object.values(s.pages),
  };
}

export function timelineView(records: HistoryEntry[]) {
  return records.map(({ revision, recordedAt, event }) => ({ revision, type: event.type, recordedAt, ...event.data }));
}
