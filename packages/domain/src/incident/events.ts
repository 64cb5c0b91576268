import { z } from 'zod';
import { labelSetSchema } from '../alert/label-set.ts';
import { actingShape } from '../people/actor.ts';
import { levelSchema, severitySchema } from '../severity.ts';

const instant = z.string().datetime({ offset: true });

export const CHANNELS = ['sms', 'voice', 'email', 'push'] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

/** `link`: a one-tap link of a page, signed for one person and one incident; `slack`: a button or command in Slack. */
export const ACK_VIAS = ['sms', 'voice', 'email', 'api', 'link', 'slack'] as const;
export const ackViaSchema = z.enum(ACK_VIAS);
export type AckVia = z.infer<typeof ackViaSchema>;

export const RESOLVE_VIAS = ['source', 'api', 'sms', 'email', 'voice', 'link', 'slack'] as const;
export const resolveViaSchema = z.enum(RESOLVE_VIAS);
export type ResolveVia = z.infer<typeof resolveViaSchema>;

/** Escalation timings copied into the stream at opening, so a later config change never rewrites history. */
export const timingsSchema = z.object({
  /** Absent: nobody is paged above the current level for want of an acknowledgement. */
  ackTimeoutMs: z.number().int().nonnegative().optional(),
  /**
   * Zero to three growing delays for L2, L3 and L4, counted from opening, without resolution. A level
   * without one is reached by ack timeout, a rule or by hand only (a runbook's P3/P4 never escalate).
   */
  escalateAfterMs: z.array(z.number().int().positive()).max(3),
  statusUpdateEveryMs: z.number().int().positive(),
  /** High: each person's high-urgency rules, no quiet hours. Low: their low-urgency rules, deferred by quiet hours. */
  urgency: z.enum(['high', 'low']).optional(),
});
export type Timings = z.infer<typeof timingsSchema>;

export const pagePurposeSchema = z.enum(['escalation', 'status-update', 'resolution']);
export type PagePurpose = z.infer<typeof pagePurposeSchema>;

const attachedAlert = z.object({
  fingerprint: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  startsAt: instant,
});

/**
 * The facts an incident opens with, as the intake states them: the command to open carries them, the
 * `IncidentOpened` event records them (with `openedAt`), the incident's state starts from them. Written
 * once, here.
 */
const incidentOpeningShape = {
  incidentId: z.string().min(1),
  /** A short number people say and type (`#42`, SMS reply `42a`); unique: claimed through the store by the instance that opens. */
  number: z.number().int().positive(),
  groupKey: z.string().min(1),
  severity: severitySchema,
  service: z.string(),
  title: z.string(),
  labels: labelSetSchema,
  source: z.string(),
  /**
   * The integration whose alert opened it (ingest's name for the token): only that integration's
   * acknowledgements and resolutions act on it. Absent on incidents opened before it was recorded.
   */
  integration: z.string().optional(),
  /** Where the alert came from (Alertmanager's generatorURL, an event's first link), for responders. */
  sourceUrl: z.string().optional(),
  alertStartsAt: instant,
  policy: z.string(),
  timings: timingsSchema,
};
export type IncidentOpening = z.infer<z.ZodObject<typeof incidentOpeningShape>>;

const event = <T extends string, D extends z.ZodRawShape>(type: T, data: D) =>
  z.object({ type: z.literal(type), data: z.object(data) });

export const incidentEventSchema = z.discriminatedUnion('type', [
  event('IncidentOpened', { ...incidentOpeningShape, openedAt: instant }),
  event('AlertAttached', {
    fingerprint: z.string().min(1),
    status: z.enum(['firing', 'resolved']),
    startsAt: instant,
    receivedAt: instant,
  }),
  /** Alerts of one group that came together (one webhook's run): one fact for the run, not one per alert. */
  event('AlertsAttached', {
    alerts: z.array(attachedAlert).min(2),
    receivedAt: instant,
  }),
  event('PageRequested', {
    pageId: z.string(),
    level: levelSchema,
    contact: z.string(),
    channel: channelSchema,
    purpose: pagePurposeSchema,
    /** A contact method other than the phone or email of klaxon.yaml, and the address it had then. */
    method: z.string().optional(),
    to: z.string().optional(),
    /** The step of the person's notification rules that came due. */
    stepId: z.string().optional(),
    at: instant,
  }),
  /** A later step of a person's notification rules: a page due at `dueAt` unless acknowledged first. */
  event('PageStepScheduled', {
    stepId: z.string(),
    level: levelSchema,
    contact: z.string(),
    channel: channelSchema,
    method: z.string().optional(),
    to: z.string().optional(),
    purpose: pagePurposeSchema,
    dueAt: instant,
  }),
  /**
   * Handed to a provider. `bundle`: the page went out inside bundle N with other incidents' pages (reply `Naa`
   * acknowledges them all). `provider`: which of the channel's providers carried it (`twilio`, `vonage`…).
   */
  event('PageDelivered', {
    pageId: z.string(),
    providerId: z.string(),
    bundle: z.number().int().positive().optional(),
    provider: z.string().optional(),
    at: instant,
  }),
  /** The provider's receipt: the page reached the phone (an SMS delivered, a call answered). */
  event('PageConfirmed', {
    pageId: z.string(),
    status: z.literal('delivered'),
    provider: z.string().optional(),
    at: instant,
  }),
  event('PageFailed', {
    pageId: z.string(),
    error: z.string(),
    retryable: z.boolean(),
    attempt: z.number().int().positive(),
    /** When the next attempt is due; absent when the page is given up. */
    retryAt: instant.optional(),
    /** The provider that failed it, which the next attempt goes around when another can carry it. */
    provider: z.string().optional(),
    /** Set when the provider's receipt failed a page it had taken: `undelivered` or `failed`. */
    receipt: z.enum(['undelivered', 'failed']).optional(),
    at: instant,
  }),
  event('ContactUnreachable', { contact: z.string(), level: levelSchema, at: instant }),
  event('EscalationScheduled', {
    timerId: z.string(),
    level: levelSchema,
    dueAt: instant,
    reason: z.enum(['ack-timeout', 'resolution-timeout']),
  }),
  event('Escalated', {
    fromLevel: levelSchema,
    toLevel: levelSchema,
    reason: z.enum(['timeout', 'rule', 'manual']),
    timerId: z.string().optional(),
    by: z.string().optional(),
    at: instant,
    ...actingShape,
  }),
  /** `ref` names the single-use link or message that carried the acknowledgement. */
  event('Acknowledged', { by: z.string(), via: ackViaSchema, ref: z.string().optional(), at: instant, ...actingShape }),
  event('StatusUpdateScheduled', { dueAt: instant }),
  event('StatusUpdateDue', { level: levelSchema, at: instant }),
  event('StatusUpdatePosted', { by: z.string(), text: z.string(), at: instant, ...actingShape }),
  event('SeverityChanged', {
    from: severitySchema,
    to: severitySchema,
    timings: timingsSchema,
    by: z.string(),
    at: instant,
    ...actingShape,
  }),
  event('Resolved', { by: z.string(), via: resolveViaSchema, at: instant, ...actingShape }),
  event('Reopened', { by: z.string(), at: instant, ...actingShape }),
  /**
   * A silence or maintenance window matched: nobody is paged about it until `until` (issue 27). `escalateTo`:
   * the level an immediate-escalation rule (security → L3) asked for when it opened quiet, kept for the end.
   */
  event('IncidentSuppressed', {
    windowId: z.string(),
    until: instant,
    at: instant,
    escalateTo: levelSchema.optional(),
  }),
  /** No window holds any more: it pages from here, as if it opened now. */
  event('SuppressionEnded', { windowId: z.string(), at: instant }),
]);

export type IncidentEvent = z.infer<typeof incidentEventSchema>;
export type IncidentEventType = IncidentEvent['type'];
export type EventOf<T extends IncidentEventType> = Extract<IncidentEvent, { type: T }>;
export type EventData<T extends IncidentEventType> = EventOf<T>['data'];

export const incidentStream = (incidentId: string): string => `incident-${incidentId}`;
export const INCIDENT_STREAM_PREFIX = 'incident-';
