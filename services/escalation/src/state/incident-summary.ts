import { levelName, type Incident } from '@klaxon/domain';

/** The people the incident pages at its current level. */
export const assigneesOf = (s: Incident): string[] => [
  ...new Set(
    Object.values(s.pages)
      .filter((p) => p.level === s.level && p.purpose === 'escalation')
      .map((p) => p.contact),
  ),
];

/** What the incident list shows of an incident, and all the index keeps of one that is settled. */
export function incidentSummary(s: Incident) {
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
    assignees: assigneesOf(s),
    alertStartsAt: s.alertStartsAt,
    openedAt: s.openedAt,
    acknowledged: s.acknowledged ?? null,
    resolved: s.resolved ?? null,
    /** The silence or maintenance window keeping it quiet now (issue 27). */
    suppressedBy: s.suppressed?.windowId ?? null,
  };
}
export type IncidentSummary = ReturnType<typeof incidentSummary>;
