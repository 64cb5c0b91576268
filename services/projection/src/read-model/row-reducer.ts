import { participantOf, type IncidentEvent } from '@klaxon/domain';

export interface IncidentRecord {
  incident_id: string;
  number: number;
  severity: string;
  service: string;
  policy: string;
  title: string;
  group_key: string;
  status: string;
  alert_starts_at: string;
  opened_at: string;
  first_ack_at: string | null;
  /** The person credited (see `participantOf`): null when a service token or an integration acted on its own. */
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  highest_level: number;
  escalations: number;
  pages: number;
  reopened: number;
}

export interface PageRecord {
  incident_id: string;
  page_id: string;
  contact: string;
  channel: string;
  level: number;
  purpose: string;
  requested_at: string;
  outcome: string;
}

export const INCIDENT_COLUMNS: Array<keyof IncidentRecord> = [
  'incident_id',
  'number',
  'severity',
  'service',
  'policy',
  'title',
  'group_key',
  'status',
  'alert_starts_at',
  'opened_at',
  'first_ack_at',
  'acknowledged_by',
  'resolved_at',
  'resolved_by',
  'highest_level',
  'escalations',
  'pages',
  'reopened',
];
export const PAGE_COLUMNS: Array<keyof PageRecord> = [
  'incident_id',
  'page_id',
  'contact',
  'channel',
  'level',
  'purpose',
  'requested_at',
  'outcome',
];

export interface Rows {
  incidents: Map<string, IncidentRecord>;
  /** Keyed by `incident_id/page_id`. */
  pages: Map<string, PageRecord>;
}

/**
 * The event types `reduce` acts on; the rest (alerts attached, timers, notes) change no row, and the
 * projector skips them before checking their data. A type given a case below must be added here.
 */
export const REDUCED_TYPES: ReadonlySet<IncidentEvent['type']> = new Set<IncidentEvent['type']>([
  'IncidentOpened',
  'Acknowledged',
  'Resolved',
  'Reopened',
  'Escalated',
  'SeverityChanged',
  'PageRequested',
  'PageDelivered',
  'PageFailed',
]);

/**
 * How one incident event changes the read-model rows: pure, so a batch is applied in memory and written
 * back once. Events the KPIs do not need change nothing; an event for an incident never opened is ignored.
 */
export function reduce(rows: Rows, incidentId: string, event: IncidentEvent): void {
  if (event.type === 'IncidentOpened') {
    if (rows.incidents.has(incidentId)) return;
    const d = event.data;
    rows.incidents.set(incidentId, {
      incident_id: incidentId,
      number: d.number,
      severity: d.severity,
      service: d.service,
      policy: d.policy,
      title: d.title,
      group_key: d.groupKey,
      status: 'open',
      alert_starts_at: d.alertStartsAt,
      opened_at: d.openedAt,
      first_ack_at: null,
      acknowledged_by: null,
      resolved_at: null,
      resolved_by: null,
      highest_level: 1,
      escalations: 0,
      pages: 0,
      reopened: 0,
    });
    return;
  }
  const row = rows.incidents.get(incidentId);
  if (!row) return;
  switch (event.type) {
    case 'Acknowledged':
      row.status = 'acknowledged';
      row.first_ack_at ??= event.data.at;
      row.acknowledged_by ??= participantOf(event.data) ?? null;
      return;
    case 'Resolved':
      row.status = 'resolved';
      row.resolved_at = event.data.at;
      row.resolved_by = participantOf(event.data) ?? null;
      return;
    case 'Reopened':
      row.status = 'open';
      row.resolved_at = null;
      row.resolved_by = null;
      row.reopened++;
      return;
    case 'Escalated':
      row.escalations++;
      row.highest_level = Math.max(row.highest_level, event.data.toLevel);
      return;
    case 'SeverityChanged':
      row.severity = event.data.to;
      return;
    case 'PageRequested': {
      const d = event.data;
      const key = `${incidentId}/${d.pageId}`;
      if (rows.pages.has(key)) return;
      rows.pages.set(key, {
        incident_id: incidentId,
        page_id: d.pageId,
        contact: d.contact,
        channel: d.channel,
        level: d.level,
        purpose: d.purpose,
        requested_at: d.at,
        outcome: 'pending',
      });
      if (d.purpose === 'escalation') row.pages++;
      return;
    }
    case 'PageDelivered': {
      const page = rows.pages.get(`${incidentId}/${event.data.pageId}`);
      if (page) page.outcome = 'delivered';
      return;
    }
    case 'PageFailed': {
      const page = rows.pages.get(`${incidentId}/${event.data.pageId}`);
      if (page) page.outcome = event.data.retryAt ? 'retrying' : 'failed';
      return;
    }
    default:
      return;
  }
}
