import {
  INCIDENT_STREAM_PREFIX,
  incidentEventSchema,
  PERSON_STREAM_PREFIX,
  personEventSchema,
  type Actor,
  type IncidentEvent,
  type PersonEvent,
} from '@klaxon/domain';
import type { RecordedEvent } from '@klaxon/event-store';

export interface AuditEntry {
  at: string;
  /** Who did it, as authenticated; null for facts written before actors were recorded. */
  actor: Actor | null;
  kind: string;
  /** What it was done to: `incident:<id>`, `person:<name>`. */
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

const PERSON: Rules<PersonEvent> = {
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
};

function pick(data: { actor?: Actor; onBehalfOf?: string }, detail: Record<string, unknown>) {
  const { actor, ...behalf } = acted(data);
  return { actor, detail: { ...detail, ...behalf } };
}

interface Stream {
  prefix: string;
  subject: string;
  read: (type: string, data: unknown, name: string) => Fact | undefined;
}

/** Parses a stored fact with its stream's schema (data read from the store is a boundary) and maps it. */
const stream = <E extends { type: string; data: unknown }>(
  prefix: string,
  subject: string,
  schema: { safeParse(v: unknown): { success: true; data: E } | { success: false } },
  rules: Rules<E>,
): Stream => ({
  prefix,
  subject,
  read(type, data, name) {
    if (!Object.hasOwn(rules, type)) return undefined;
    const parsed = schema.safeParse({ type, data });
    if (!parsed.success) return undefined;
    const rule = rules[parsed.data.type as E['type']] as ((d: unknown, n: string) => Fact | undefined) | undefined;
    return rule?.(parsed.data.data, name);
  },
});

const STREAMS: Stream[] = [
  stream(INCIDENT_STREAM_PREFIX, 'incident', incidentEventSchema, INCIDENT),
  stream(PERSON_STREAM_PREFIX, 'person', personEventSchema, PERSON),
];

/** The audit entry a stored fact is, or undefined for facts that are nobody's command. */
export function auditEntryOf(recorded: RecordedEvent): AuditEntry | undefined {
  const owner = STREAMS.find((s) => recorded.streamId.startsWith(s.prefix));
  if (!owner) return undefined;
  const name = recorded.streamId.slice(owner.prefix.length);
  const fact = owner.read(recorded.type, recorded.data, name);
  if (!fact) return undefined;
  const at = fact.at ?? (recorded.data as { at?: string }).at ?? recorded.recordedAt;
  return { at, actor: fact.actor, kind: fact.kind, subject: `${owner.subject}:${name}`, detail: fact.detail };
}
