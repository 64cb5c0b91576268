import { AlertMap } from './alert-map.ts';
import type { Instant } from '../time/instant.ts';
import type { IncidentEvent } from './events.ts';
import type { AlertSeen } from './alert-map.ts';
import type { EscalationTimer, Incident, IncidentState, PageState, PageStep } from './state.ts';

export function evolve(state: IncidentState, event: IncidentEvent): IncidentState {
  if (event.type === 'IncidentOpened') {
    return {
      exists: true,
      ...event.data,
      status: 'open',
      level: 1,
      alerts: AlertMap.empty(),
      firingAlerts: 0,
      escalationTimers: {},
      pages: {},
      usedRefs: [],
      pageSeq: 0,
      timerSeq: 0,
    };
  }
  if (!state.exists) return state;
  return { exists: true, ...evolveIncident(state, event) };
}

function evolveIncident(s: Incident, event: IncidentEvent): Incident {
  switch (event.type) {
    case 'IncidentOpened':
      return s;
    case 'AlertAttached':
      return attach(s, [event.data]);
    case 'AlertsAttached':
      return attach(s, event.data.alerts);
    case 'PageRequested': {
      const d = event.data;
      const page: PageState = {
        pageId: d.pageId,
        level: d.level,
        contact: d.contact,
        channel: d.channel,
        purpose: d.purpose,
        ...(d.method !== undefined ? { method: d.method } : {}),
        ...(d.to !== undefined ? { to: d.to } : {}),
        requestedAt: d.at,
        outcome: 'pending',
        attempts: 0,
      };
      const pageSteps = d.stepId === undefined ? s.pageSteps : withoutSteps(s, (step) => step.stepId === d.stepId);
      return { ...s, pageSeq: s.pageSeq + 1, pages: { ...s.pages, [d.pageId]: page }, pageSteps };
    }
    case 'PageStepScheduled':
      return {
        ...s,
        stepSeq: (s.stepSeq ?? 0) + 1,
        pageSteps: { ...s.pageSteps, [event.data.stepId]: event.data },
      };
    case 'PageDelivered':
      return updatePage(s, event.data.pageId, (p) => ({
        ...p,
        outcome: 'delivered',
        attempts: p.attempts + 1,
        providerId: event.data.providerId,
        ...(event.data.bundle === undefined ? {} : { bundle: event.data.bundle }),
        ...(event.data.provider === undefined ? {} : { provider: event.data.provider }),
        retryAt: undefined,
      }));
    case 'PageConfirmed':
      return updatePage(s, event.data.pageId, (p) => ({ ...p, confirmedAt: event.data.at }));
    case 'PageFailed':
      return updatePage(s, event.data.pageId, (p) => ({
        ...p,
        outcome: event.data.retryAt ? 'retrying' : 'failed',
        attempts: event.data.attempt,
        retryAt: event.data.retryAt,
        lastError: event.data.error,
        ...(event.data.receipt && event.data.provider
          ? { failedProviders: [...(p.failedProviders ?? []), event.data.provider] }
          : {}),
      }));
    case 'ContactUnreachable':
      return s;
    case 'EscalationScheduled':
      return {
        ...s,
        timerSeq: s.timerSeq + 1,
        escalationTimers: { ...s.escalationTimers, [event.data.timerId]: event.data },
      };
    case 'Escalated': {
      const { timerId } = event.data;
      // A timer for a level already reached can never fire usefully, whatever raised the level.
      const escalationTimers = keepTimers(s, (t) => t.timerId !== timerId && t.level > event.data.toLevel);
      return { ...s, level: event.data.toLevel, escalationTimers };
    }
    case 'Acknowledged':
      return {
        ...s,
        status: 'acknowledged',
        acknowledged: event.data,
        usedRefs: event.data.ref ? [...s.usedRefs, event.data.ref] : s.usedRefs,
        escalationTimers: keepTimers(s, (t) => t.reason !== 'ack-timeout'),
        // Rule chains stop at acknowledgement; reminders go on.
        pageSteps: withoutSteps(s, (step) => step.purpose === 'escalation'),
      };
    case 'StatusUpdateScheduled':
      return { ...s, statusUpdateDueAt: event.data.dueAt };
    case 'StatusUpdateDue':
    case 'StatusUpdatePosted':
      return s;
    case 'SeverityChanged':
      // The decider reschedules every escalation from the new timings in the same decision.
      return { ...s, severity: event.data.to, timings: event.data.timings, escalationTimers: {} };
    case 'Resolved':
      return {
        ...s,
        status: 'resolved',
        resolved: event.data,
        statusUpdateDueAt: undefined,
        escalationTimers: {},
        pageSteps: {},
        suppressed: undefined,
      };
    case 'Reopened':
      return { ...s, status: 'open', acknowledged: undefined, resolved: undefined };
    case 'IncidentSuppressed': {
      // A window that follows another keeps what the first held back.
      const escalateTo = event.data.escalateTo ?? s.suppressed?.escalateTo;
      const { windowId, until } = event.data;
      return { ...s, suppressed: { windowId, until, ...(escalateTo !== undefined ? { escalateTo } : {}) } };
    }
    case 'SuppressionEnded':
      // What waited is scheduled afresh from the window's end, in the same decision.
      return { ...s, suppressed: undefined, escalationTimers: {}, statusUpdateDueAt: undefined };
  }
}

function withoutSteps(s: Incident, drop: (step: PageStep) => boolean): Record<string, PageStep> | undefined {
  if (!s.pageSteps) return undefined;
  return Object.fromEntries(Object.entries(s.pageSteps).filter(([, step]) => !drop(step)));
}

function keepTimers(s: Incident, keep: (timer: EscalationTimer) => boolean): Record<string, EscalationTimer> {
  return Object.fromEntries(Object.entries(s.escalationTimers).filter(([, timer]) => keep(timer)));
}

function updatePage(s: Incident, pageId: string, change: (page: PageState) => PageState): Incident {
  const page = s.pages[pageId];
  return page ? { ...s, pages: { ...s.pages, [pageId]: change(page) } } : s;
}

export const evolveAll = (events: Iterable<IncidentEvent>, state: IncidentState): IncidentState => {
  let current = state;
  for (const e of events) current = evolve(current, e);
  return current;
};

function attach(
  s: Incident,
  attached: Array<{ fingerprint: string; status: 'firing' | 'resolved'; startsAt: Instant }>,
): Incident {
  let firingAlerts = s.firingAlerts;
  const now = new Map<string, AlertSeen['status']>();
  for (const { fingerprint, status } of attached) {
    const was = now.get(fingerprint) ?? s.alerts.status(fingerprint);
    firingAlerts += (status === 'firing' ? 1 : 0) - (was === 'firing' ? 1 : 0);
    now.set(fingerprint, status);
  }
  // One version for the run of changes, not one per alert.
  const alerts = s.alerts.with(
    attached.map(({ fingerprint, status, startsAt }) => [fingerprint, { status, startsAt }]),
  );
  return { ...s, alerts, firingAlerts };
}
