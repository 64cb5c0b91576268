import type { WebhookEventType } from '@klaxon/config';
import type { IncidentState, PageState } from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';
import type { Folded } from '../followers/incident-folds.ts';

/** What a webhook receives: Standard Webhooks' body shape. */
export interface WebhookMessage {
  /** Stable across retries and replays (the store event's id), so a receiver can drop what it had. */
  id: string;
  /** The incident it is about, when it is about one: deliveries of one incident keep their order. */
  incidentId?: string;
  body: { type: WebhookEventType; timestamp: string; data: Record<string, unknown> };
}

export const SCHEDULE_STREAM_PREFIX = 'schedule-';

const incidentOf = (state: IncidentState, publicUrl: string) =>
  state.exists
    ? {
        id: state.incidentId,
        number: state.number,
        title: state.title,
        severity: state.severity,
        service: state.service,
        status: state.status,
        level: `L${state.level}`,
        policy: state.policy,
        openedAt: state.openedAt,
        url: `${publicUrl}/incidents/${state.incidentId}`,
      }
    : undefined;

const pageOf = (page: PageState | undefined) =>
  page && {
    pageId: page.pageId,
    level: `L${page.level}`,
    contact: page.contact,
    channel: page.channel,
    purpose: page.purpose,
  };

/** The webhook message an incident event makes, if it makes one; events no receiver needs make none. */
export function incidentMessage(record: RecordedEvent, folded: Folded, publicUrl: string): WebhookMessage | undefined {
  const { event, after, incidentId } = folded;
  const incident = incidentOf(after, publicUrl);
  const message = (type: WebhookEventType, timestamp: string, data: Record<string, unknown>): WebhookMessage => ({
    id: `msg_${record.eventId}`,
    incidentId,
    body: { type, timestamp, data: { incident, ...data } },
  });
  const pages = after.exists ? after.pages : {};
  switch (event.type) {
    case 'IncidentOpened': {
      const d = event.data;
      return message('incident.opened', d.openedAt, {
        labels: d.labels,
        source: d.source,
        alertStartsAt: d.alertStartsAt,
        ...(d.sourceUrl ? { sourceUrl: d.sourceUrl } : {}),
      });
    }
    case 'Acknowledged':
      return message('incident.acknowledged', event.data.at, actingData(event.data, { via: event.data.via }));
    case 'Escalated': {
      const d = event.data;
      return message('incident.escalated', d.at, {
        fromLevel: `L${d.fromLevel}`,
        toLevel: `L${d.toLevel}`,
        reason: d.reason,
        ...(d.by !== undefined ? { by: d.by } : {}),
      });
    }
    case 'Resolved':
      return message('incident.resolved', event.data.at, actingData(event.data, { via: event.data.via }));
    case 'Reopened':
      return message('incident.reopened', event.data.at, actingData(event.data, {}));
    case 'SeverityChanged':
      return message(
        'incident.severity_changed',
        event.data.at,
        actingData(event.data, { from: event.data.from, to: event.data.to }),
      );
    case 'StatusUpdatePosted':
      return message('incident.status_update', event.data.at, actingData(event.data, { text: event.data.text }));
    case 'PageDelivered':
      return message('page.sent', event.data.at, {
        page: pageOf(pages[event.data.pageId]),
        providerId: event.data.providerId,
        ...(event.data.bundle !== undefined ? { bundle: event.data.bundle } : {}),
      });
    case 'PageFailed':
      return message('page.failed', event.data.at, {
        page: pageOf(pages[event.data.pageId]),
        error: event.data.error,
        retryable: event.data.retryable,
        attempt: event.data.attempt,
        ...(event.data.retryAt ? { retryAt: event.data.retryAt } : {}),
      });
    default:
      return undefined;
  }
}

const actingData = (d: { by: string; actor?: { kind: string; name: string } }, extra: Record<string, unknown>) => ({
  by: d.by,
  ...(d.actor ? { actor: d.actor } : {}),
  ...extra,
});

/**
 * An override added to or removed from a schedule (its stream `schedule-<name>`) changes who is on call:
 * `oncall.changed` with the change as it was recorded.
 */
export function scheduleMessage(record: RecordedEvent): WebhookMessage | undefined {
  if (!record.streamId.startsWith(SCHEDULE_STREAM_PREFIX)) return undefined;
  if (record.type !== 'OverrideAdded' && record.type !== 'OverrideRemoved') return undefined;
  if (typeof record.data !== 'object' || record.data === null) return undefined;
  const data = record.data as Record<string, unknown>;
  const at = typeof data.at === 'string' ? data.at : record.recordedAt;
  return {
    id: `msg_${record.eventId}`,
    body: {
      type: 'oncall.changed',
      timestamp: at,
      data: {
        schedule: record.streamId.slice(SCHEDULE_STREAM_PREFIX.length),
        change: record.type === 'OverrideAdded' ? 'override-added' : 'override-removed',
        ...data,
      },
    },
  };
}
