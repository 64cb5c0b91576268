import { levelName, pendingTimers, type Incident } from '@klaxon/domain';
import type { HistoryEntry } from './incident-repository.ts';

/** What the incident API shows of an incident: its current state, assignees and what it waits on. */
export function incidentView(s: Incident) {
  const assignees = [...new Set(Object.values(s.pages).filter((p) => p.level === s.level && p.purpose === 'escalation').map((p) => p.contact))];
  return {
    id: s.incidentId,
    number: s.number,
    groupKey: s.groupKey,
    title: s.title,
    service: s.service,
    severity: s.severity,
    status: s.status,
    level: levelName(s.level),
    policy: s.policy,
    source: s.source,
    sourceUrl: s.sourceUrl ?? null,
    labels: s.labels,
    assignees,
    alerts: s.alerts,
    alertStartsAt: s.alertStartsAt,
    openedAt: s.openedAt,
    acknowledged: s.acknowledged ?? null,
    resolved: s.resolved ?? null,
    pendingTimers: pendingTimers({ exists: true, ...s }),
    pages: Object.values(s.pages),
  };
}

export function timelineView(records: HistoryEntry[]) {
  return records.map(({ revision, recordedAt, event }) => ({ revision, type: event.type, recordedAt, ...event.data }));
}
