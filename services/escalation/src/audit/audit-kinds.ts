import { z } from 'zod';
import {
  CONFIG_STREAM,
  configEventSchema,
  contactMethodEventSchema,
  FEED_TOKENS_STREAM,
  feedTokenEventSchema,
  HEARTBEAT_MONITORS_STREAM,
  heartbeatMonitorEventSchema,
  INCIDENT_STREAM_PREFIX,
  incidentEventSchema,
  notificationRulesSetSchema,
  PERSON_STREAM_PREFIX,
  personEventSchema,
  SCHEDULE_STREAM_PREFIX,
  scheduleEventSchema,
  SILENCES_STREAM,
  windowEventSchema,
  type Actor,
  type ConfigEvent,
  type ContactMethodEvent,
  type FeedTokenEvent,
  type HeartbeatMonitorEvent,
  type IncidentEvent,
  type NotificationRulesSet,
  type PersonEvent,
  type ScheduleEvent,
  type WindowEvent,
} from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';

export interface AuditEntry {
  at: string;
  /** Who did it, as authenticated; null for facts written before actors were recorded. */
  actor: Actor | null;
  kind: string;
  /** What it was done to: `incident:<id>`, `person:<name>`, `schedule:<name>`, `config`, `silences`, `heartbeats`. */
  subject: string;
  detail: Record<string, unknown>;
}

type Fact = Omit<AuditEntry, 'subject' | 'at'> & { at?: string };
type Rules<E extends { type: string; data: unknown }> = {
  [K in E['type']]?: (data: Extract<E, { type: K }>['data'], name: string) => Fact | undefined;
};

const acted = (data: { actor?: Actor; onBehalfOf?: string }) => ({
  actor: data.actor ?? null,
  ...(data.onBehalfOf ? { onBehalfOf: data.onBehalfOf } : {}),
});

/**
 * What the audit log shows of each kind of fact, by stream. Adding a kind (an override, a silence) is one
 * line in the table of its stream, and that stream's prefix and schema in `STREAMS` below.
 */
const INCIDENT: Rules<IncidentEvent> = {
  Acknowledged: (d) => ({ kind: 'incident.acknowledged', ...pick(d, { by: d.by, via: d.via }) }),
  Resolved: (d) => ({ kind: 'incident.resolved', ...pick(d, { by: d.by, via: d.via }) }),
  Reopened: (d) => ({ kind: 'incident.reopened', ...pick(d, { by: d.by }) }),
  // Escalations by a timer or a rule are no one's command.
  Escalated: (d) =>
    d.reason === 'manual'
      ? { kind: 'incident.escalated', ...pick(d, { by: d.by, from: `L${d.fromLevel}`, to: `L${d.toLevel}` }) }
      : undefined,
  StatusUpdatePosted: (d) => ({ kind: 'incident.status_update', ...pick(d, { by: d.by, text: d.text }) }),
  SeverityChanged: (d) => ({ kind: 'incident.severity_changed', ...pick(d, { by: d.by, from: d.from, to: d.to }) }),
};

const PERSON: Rules<PersonStreamEvent> = {
  PersonalTokenCreated: (d) => ({
    kind: 'token.created',
    actor: d.actor,
    at: d.createdAt,
    detail: { tokenId: d.id, name: d.name, expiresAt: d.expiresAt },
  }),
  PersonalTokenRevoked: (d) => ({ kind: 'token.revoked', actor: d.actor, detail: { tokenId: d.id } }),
  SessionStarted: (d, person) => ({
    kind: 'session.started',
    actor: { kind: 'person', name: person },
    at: d.startedAt,
    detail: { sessionId: d.id, via: d.via, ...(d.claim ? { claim: d.claim } : {}), expiresAt: d.expiresAt },
  }),
  SessionEnded: (d, person) => ({
    kind: 'session.ended',
    actor: { kind: 'person', name: person },
    detail: { sessionId: d.id },
  }),
  ContactMethodAdded: (d) => ({
    kind: 'method.added',
    actor: d.actor,
    detail: { methodId: d.methodId, type: d.methodType, to: d.to },
  }),
  ContactMethodRemoved: (d) => ({ kind: 'method.removed', actor: d.actor, detail: { methodId: d.methodId } }),
  NotificationRulesSet: (d) => ({
    kind: 'rules.set',
    actor: d.actor,
    detail: {
      ...(d.high ? { high: d.high } : {}),
      ...(d.low ? { low: d.low } : {}),
      ...(d.quietHours ? { quietHours: d.quietHours } : {}),
    },
  }),
};

const SCHEDULE: Rules<ScheduleEvent> = {
  OverrideAdded: (d) => ({
    kind: 'override.added',
    actor: d.actor,
    detail: {
      overrideId: d.overrideId,
      person: d.person,
      start: d.start,
      end: d.end,
      ...(d.replaces ? { replaces: d.replaces } : {}),
      ...(d.reason ? { reason: d.reason } : {}),
    },
  }),
  OverrideRemoved: (d) => ({ kind: 'override.removed', actor: d.actor, detail: { overrideId: d.overrideId } }),
};

const CONFIG: Rules<ConfigEvent> = {
  ConfigApplied: (d) => ({ kind: 'config.applied', actor: d.actor, detail: { sha256: d.sha256, changed: d.changed } }),
};

const WINDOWS: Rules<WindowEvent> = {
  SilenceAdded: (d) => ({
    kind: 'silence.added',
    actor: d.actor,
    detail: { id: d.id, matchers: d.matchers, start: d.start, end: d.end, comment: d.comment },
  }),
  MaintenanceAdded: (d) => ({
    kind: 'maintenance.added',
    actor: d.actor,
    detail: {
      id: d.id,
      matchers: d.matchers,
      days: d.days,
      from: d.from,
      to: d.to,
      timezone: d.timezone,
      comment: d.comment,
    },
  }),
  WindowExpired: (d) => ({ kind: 'window.expired', actor: d.actor, detail: { id: d.id } }),
};

const FEED_TOKENS: Rules<FeedTokenEvent> = {
  FeedTokenIssued: (d) => ({ kind: 'feed_token.issued', actor: d.actor, detail: { person: d.person } }),
  FeedTokenRevoked: (d) => ({ kind: 'feed_token.revoked', actor: d.actor, detail: { person: d.person } }),
};

const HEARTBEATS: Rules<HeartbeatMonitorEvent> = {
  HeartbeatMonitorAdded: (d) => ({
    kind: 'heartbeat.added',
    actor: d.actor,
    detail: {
      name: d.name,
      intervalMs: d.intervalMs,
      graceMs: d.graceMs,
      labels: d.labels,
      ...(d.match ? { match: d.match } : {}),
      ...(d.integration !== undefined ? { integration: d.integration } : {}),
    },
  }),
  HeartbeatMonitorRemoved: (d) => ({ kind: 'heartbeat.removed', actor: d.actor, detail: { name: d.name } }),
};

function pick(data: { actor?: Actor; onBehalfOf?: string }, detail: Record<string, unknown>) {
  const { actor, ...behalf } = acted(data);
  return { actor, detail: { ...detail, ...behalf } };
}

interface Stream {
  /** A stream's id is `prefix<name>`, or exactly `prefix` for a stream of its own (`config`, `silences`). */
  prefix: string;
  whole: boolean;
  subject: string;
  read: (type: string, data: unknown, name: string) => Fact | undefined;
}

/** Parses a stored fact with its stream's schema (data read from the store is a boundary) and maps it. */
const stream = <E extends { type: string; data: unknown }>(
  [prefix, whole]: [string, boolean],
  subject: string,
  schema: { safeParse(v: unknown): { success: true; data: E } | { success: false } },
  rules: Rules<E>,
): Stream => ({
  prefix,
  whole,
  subject,
  read(type, data, name) {
    if (!Object.hasOwn(rules, type)) return undefined;
    const parsed = schema.safeParse({ type, data });
    if (!parsed.success) return undefined;
    const rule = rules[parsed.data.type as E['type']] as ((d: unknown, n: string) => Fact | undefined) | undefined;
    return rule?.(parsed.data.data, name);
  },
});

/** A person's stream holds their tokens, sessions, contact methods and notification rules. */
const personStreamSchema = z.discriminatedUnion('type', [
  ...personEventSchema.options,
  ...contactMethodEventSchema.options,
  notificationRulesSetSchema,
]);
type PersonStreamEvent = PersonEvent | ContactMethodEvent | NotificationRulesSet;

const STREAMS: Stream[] = [
  stream([INCIDENT_STREAM_PREFIX, false], 'incident', incidentEventSchema, INCIDENT),
  stream<PersonStreamEvent>([PERSON_STREAM_PREFIX, false], 'person', personStreamSchema, PERSON),
  stream([SCHEDULE_STREAM_PREFIX, false], 'schedule', scheduleEventSchema, SCHEDULE),
  stream([CONFIG_STREAM, true], 'config', configEventSchema, CONFIG),
  stream([SILENCES_STREAM, true], 'silences', windowEventSchema, WINDOWS),
  stream([FEED_TOKENS_STREAM, true], 'calendar-feed-tokens', feedTokenEventSchema, FEED_TOKENS),
  stream([HEARTBEAT_MONITORS_STREAM, true], 'heartbeats', heartbeatMonitorEventSchema, HEARTBEATS),
];

/** The audit entry a stored fact is, or undefined for facts that are nobody's command. */
export function auditEntryOf(recorded: RecordedEvent): AuditEntry | undefined {
  const id = recorded.streamId;
  const owner = STREAMS.find((s) => (s.whole ? id === s.prefix : id.startsWith(s.prefix)));
  if (!owner) return undefined;
  const name = id.slice(owner.prefix.length);
  const fact = owner.read(recorded.type, recorded.data, name);
  if (!fact) return undefined;
  const at = fact.at ?? (recorded.data as { at?: string }).at ?? recorded.recordedAt;
  const subject = owner.whole ? owner.subject : `${owner.subject}:${name}`;
  return { at, actor: fact.actor, kind: fact.kind, subject, detail: fact.detail };
}
