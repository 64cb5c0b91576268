import { actingOf, type Acting } from '../people/actor.ts';
import { nextLevel, type Level } from '../severity.ts';
import { addMs, instantMs } from '../time/instant.ts';
import { err, ok, type Result } from '../result.ts';
import type { AttachedAlert, IncidentCommand } from './commands.ts';
import { Draft } from './draft.ts';
import type { IncidentError } from './errors.ts';
import type { IncidentEvent } from './events.ts';
import { evolveAll } from './evolve.ts';
import { MAX_PAGE_ATTEMPTS, MIN_RETRY_AFTER_MS, retryDelayMs } from './paging-policy.ts';
import type { Incident, IncidentState, PageState } from './state.ts';

export type Decision = Result<IncidentEvent[], IncidentError>;

export function decide(command: IncidentCommand, state: IncidentState): Decision {
  return decideOn(command, state, new Draft(state));
}

/**
 * A decision with the state its events lead to. The draft folds each event as it is emitted (later events
 * see what earlier ones did), so a runner that keeps the state takes the draft's rather than folding the
 * same events again: in a storm that was every alert put into the incident's persistent maps twice.
 */
export function decideAndFold(
  command: IncidentCommand,
  state: IncidentState,
): Result<{ events: IncidentEvent[]; state: IncidentState }, IncidentError> {
  const draft = new Draft(state);
  const decision = decideOn(command, state, draft);
  if (!decision.ok) return decision;
  const events = decision.value;
  // The few decisions made without the draft (nothing to do, a page's outcome) are folded here.
  return ok({ events, state: events === draft.events ? draft.state : evolveAll(events, state) });
}

function decideOn(command: IncidentCommand, state: IncidentState, draft: Draft): Decision {
  if (command.type === 'OpenIncident') {
    if (state.exists) return err({ code: 'IncidentAlreadyExists', incidentId: state.incidentId });
    return ok(open(command, draft));
  }
  if (!state.exists) return err({ code: 'IncidentNotFound' });
  return decideFor(command, state, draft);
}

function open(c: Extract<IncidentCommand, { type: 'OpenIncident' }>, draft: Draft): IncidentEvent[] {
  const {
    type: _type,
    fingerprint: _fingerprint,
    roster: _roster,
    escalateTo: _escalateTo,
    suppression: _suppression,
    at,
    ...opening
  } = c;
  draft.emit({ type: 'IncidentOpened', data: { ...definedOnly(opening), openedAt: at } }).emit({
    type: 'AlertAttached',
    data: { fingerprint: c.fingerprint, status: 'firing', startsAt: c.alertStartsAt, receivedAt: c.at },
  });
  // Opened and recorded, but quiet: its paging starts when the window ends (EndSuppression), a rule's
  // immediate escalation with it.
  if (c.suppression) {
    const escalateTo = c.escalateTo !== undefined && c.escalateTo > 1 ? c.escalateTo : undefined;
    return suppress(draft, c.suppression, c.at, escalateTo).events;
  }
  draft.pageLevel(c.roster, 1, c.at);
  if (c.escalateTo !== undefined && c.escalateTo > 1) draft.escalate(c.escalateTo, 'rule', c.roster, c.at);
  else draft.scheduleAckTimeout(c.at);
  return draft.scheduleResolutionTimeouts(c.at).scheduleStatusUpdate(c.at).events;
}

function decideFor(command: Exclude<IncidentCommand, { type: 'OpenIncident' }>, s: Incident, draft: Draft): Decision {
  const resolved = () => err<IncidentError>({ code: 'IncidentResolved', incidentId: s.incidentId });
  switch (command.type) {
    case 'AttachAlert': {
      const { fingerprint, status, startsAt, at } = command;
      return attach(draft, s, [{ fingerprint, status, startsAt }], at);
    }
    case 'AttachAlerts':
      return attach(draft, s, command.alerts, command.at);
    case 'Acknowledge': {
      if (command.ref !== undefined && s.usedRefs.includes(command.ref))
        return err({ code: 'RefAlreadyUsed', incidentId: s.incidentId });
      if (s.status === 'resolved') return resolved();
      if (s.acknowledged) return err({ code: 'AlreadyAcknowledged', incidentId: s.incidentId, by: s.acknowledged.by });
      const { by, via, ref, at } = command;
      return ok(
        draft.emit({
          type: 'Acknowledged',
          data: { by, via, ...(ref !== undefined ? { ref } : {}), at, ...actingOf(command) },
        }).events,
      );
    }
    case 'Resolve':
      if (s.status === 'resolved') return resolved();
      return ok(resolve(draft, command.by, command.via, command.at, actingOf(command)).events);
    case 'Reopen':
      if (s.status !== 'resolved') return err({ code: 'NotResolved', incidentId: s.incidentId });
      return ok(
        draft
          .emit({ type: 'Reopened', data: { by: command.by, at: command.at, ...actingOf(command) } })
          .pageLevel(command.roster, s.level, command.at)
          .scheduleAckTimeout(command.at)
          .scheduleResolutionTimeouts(command.at)
          .scheduleStatusUpdate(command.at).events,
      );
    case 'Escalate': {
      if (s.status === 'resolved') return resolved();
      const to = nextLevel(s.level);
      if (to === undefined) return err({ code: 'AtHighestLevel', incidentId: s.incidentId });
      return ok(
        draft.escalate(to, 'manual', command.roster, command.at, { by: command.by, ...actingOf(command) }).events,
      );
    }
    case 'FireEscalationTimer': {
      const timer = s.escalationTimers[command.timerId];
      // A timer made moot (ack, resolution, a higher level reached) or already fired by a racing instance.
      if (!timer || s.status === 'resolved' || timer.level <= s.level) return ok([]);
      if (command.suppression) return ok(suppress(draft, command.suppression, command.at).events);
      return ok(draft.escalate(timer.level, 'timeout', command.roster, command.at, { timerId: timer.timerId }).events);
    }
    case 'FireStatusUpdateTimer': {
      if (s.status === 'resolved' || s.statusUpdateDueAt !== command.dueAt) return ok([]);
      if (command.suppression) return ok(suppress(draft, command.suppression, command.at).events);
      return ok(
        draft
          .emit({ type: 'StatusUpdateDue', data: { level: s.level, at: command.at } })
          .remind(command.roster, s.level, command.at)
          .scheduleStatusUpdate(command.at).events,
      );
    }
    case 'EndSuppression': {
      if (s.status === 'resolved' || !s.suppressed) return ok([]);
      if (command.suppression) return ok(suppress(draft, command.suppression, command.at).events);
      draft.emit({ type: 'SuppressionEnded', data: { windowId: s.suppressed.windowId, at: command.at } });
      // It pages now, as if it opened now: the level it is at, unless someone has it in hand already, and
      // the level a rule escalated it to at its opening (security → L3), not L1 alone.
      if (s.status === 'open') {
        draft.pageLevel(command.roster, s.level, command.at);
        const ruled = s.suppressed.escalateTo;
        if (ruled !== undefined && ruled > s.level) draft.escalate(ruled, 'rule', command.roster, command.at);
        else draft.scheduleAckTimeout(command.at);
      }
      return ok(draft.scheduleResolutionTimeouts(command.at).scheduleStatusUpdate(command.at).events);
    }
    case 'PostStatusUpdate':
      if (s.status === 'resolved') return resolved();
      return ok(
        draft
          .emit({
            type: 'StatusUpdatePosted',
            data: { by: command.by, text: command.text, at: command.at, ...actingOf(command) },
          })
          .scheduleStatusUpdate(command.at).events,
      );
    case 'ChangeSeverity':
      if (s.status === 'resolved') return resolved();
      if (s.severity === command.severity) return err({ code: 'SeverityUnchanged', incidentId: s.incidentId });
      draft.emit({
        type: 'SeverityChanged',
        data: {
          from: s.severity,
          to: command.severity,
          timings: command.timings,
          by: command.by,
          at: command.at,
          ...actingOf(command),
        },
      });
      // Overdue escalations under the new severity come due at once: a P3 raised to P1 after an hour is at L3.
      return ok(
        draft.scheduleAckTimeout(command.at).scheduleResolutionTimeouts(s.openedAt).scheduleStatusUpdate(command.at)
          .events,
      );
    case 'RecordPageDelivered': {
      const page = s.pages[command.pageId];
      if (!page) return err({ code: 'UnknownPage', pageId: command.pageId });
      if (page.outcome === 'delivered' || page.outcome === 'failed')
        return err({ code: 'PageOutcomeRecorded', pageId: page.pageId });
      const bundle = command.bundle === undefined ? {} : { bundle: command.bundle };
      const provider = command.provider === undefined ? {} : { provider: command.provider };
      return ok([
        {
          type: 'PageDelivered',
          data: { pageId: page.pageId, providerId: command.providerId, ...bundle, ...provider, at: command.at },
        },
      ]);
    }
    case 'RecordPageFailed': {
      const page = s.pages[command.pageId];
      if (!page) return err({ code: 'UnknownPage', pageId: command.pageId });
      if (page.outcome === 'delivered' || page.outcome === 'failed')
        return err({ code: 'PageOutcomeRecorded', pageId: page.pageId });
      const attempt = page.attempts + 1;
      const retry = command.retryable && attempt < MAX_PAGE_ATTEMPTS;
      const delayMs =
        command.retryAfterMs === undefined ? retryDelayMs(attempt) : Math.max(MIN_RETRY_AFTER_MS, command.retryAfterMs);
      draft.emit({
        type: 'PageFailed',
        data: {
          pageId: page.pageId,
          error: command.error,
          retryable: command.retryable,
          attempt,
          ...(retry ? { retryAt: addMs(command.at, delayMs) } : {}),
          ...(command.provider === undefined ? {} : { provider: command.provider }),
          at: command.at,
        },
      });
      return ok(noteUnreachable(draft, page, command.at).events);
    }
    case 'RecordPageReceipt':
      return receipt(draft, s, command);
    case 'FirePageSteps':
      return ok(draft.firePageSteps(command.at).events);
  }
}

/**
 * A provider's receipt for a page it took. Delivered confirms it; undelivered or failed fails it, and when
 * the channel has another provider the page goes out again at once through that one, not after a backoff.
 */
function receipt(draft: Draft, s: Incident, c: Extract<IncidentCommand, { type: 'RecordPageReceipt' }>): Decision {
  const page = s.pages[c.pageId];
  if (!page) return err({ code: 'UnknownPage', pageId: c.pageId });
  if (page.outcome !== 'delivered' || page.providerId !== c.providerId)
    return err({ code: 'ReceiptUnmatched', pageId: page.pageId });
  if (page.confirmedAt !== undefined) return err({ code: 'PageOutcomeRecorded', pageId: page.pageId });
  const provider = page.provider === undefined ? {} : { provider: page.provider };
  if (c.status === 'delivered')
    return ok(
      draft.emit({ type: 'PageConfirmed', data: { pageId: page.pageId, status: 'delivered', ...provider, at: c.at } })
        .events,
    );
  // The receipt is the outcome of the attempt that handed the page over, not another attempt.
  const attempt = page.attempts;
  const retry = c.otherProviders && attempt < MAX_PAGE_ATTEMPTS;
  draft.emit({
    type: 'PageFailed',
    data: {
      pageId: page.pageId,
      error: c.error ?? c.status,
      retryable: c.otherProviders,
      attempt,
      ...(retry ? { retryAt: c.at } : {}),
      ...provider,
      receipt: c.status,
      at: c.at,
    },
  });
  // The person's next step of their rules need not wait for its time: this one did not reach them.
  const next = Object.values(draft.incident.pageSteps ?? {})
    .filter((step) => step.contact === page.contact && step.level === page.level && step.purpose === page.purpose)
    .sort((a, b) => instantMs(a.dueAt) - instantMs(b.dueAt))[0];
  if (next && instantMs(next.dueAt) > instantMs(c.at))
    draft.emit({ type: 'PageStepScheduled', data: { ...next, dueAt: c.at } });
  return ok(noteUnreachable(draft, page, c.at).events);
}

/** A contact whose every escalation page of the level has failed for good is recorded unreachable. */
function noteUnreachable(draft: Draft, page: PageState, at: string): Draft {
  const sameContact = Object.values(draft.incident.pages).filter(
    (p) => p.contact === page.contact && p.level === page.level && p.purpose === 'escalation',
  );
  if (page.purpose === 'escalation' && sameContact.every((p) => p.outcome === 'failed'))
    draft.emit({ type: 'ContactUnreachable', data: { contact: page.contact, level: page.level, at } });
  return draft;
}

/** Everyone who was paged about the incident hears that it is over, except by a phone call. */
/** Quiet until the window ends; a window already recorded with the same end is no news. */
function suppress(
  draft: Draft,
  suppression: { windowId: string; until: string },
  at: string,
  escalateTo?: Level,
): Draft {
  const current = draft.incident.suppressed;
  if (current?.windowId === suppression.windowId && current.until === suppression.until) return draft;
  return draft.emit({
    type: 'IncidentSuppressed',
    data: { ...suppression, at, ...(escalateTo !== undefined ? { escalateTo } : {}) },
  });
}

/**
 * Alerts of the incident's group, in order: one fact for those that change something (one alert, or a run
 * of them), and the incident resolved by its source once none fires.
 */
function attach(draft: Draft, s: Incident, alerts: AttachedAlert[], at: string): Decision {
  // A source still firing after someone resolved the incident by hand is a new incident, as in PagerDuty.
  if (s.status === 'resolved' && alerts.some((a) => a.status === 'firing'))
    return err({ code: 'IncidentResolved', incidentId: s.incidentId });
  // Alertmanager repeats notifications and the bus delivers at least once: a repeat is not news.
  const now = new Map<string, AttachedAlert['status']>();
  const news: AttachedAlert[] = [];
  for (const { fingerprint, status, startsAt } of alerts) {
    if ((now.get(fingerprint) ?? s.alerts.status(fingerprint)) === status) continue;
    now.set(fingerprint, status);
    news.push({ fingerprint, status, startsAt });
  }
  if (news.length === 0) return ok([]);
  draft.emit(
    news.length === 1
      ? { type: 'AlertAttached', data: { ...news[0]!, receivedAt: at } }
      : { type: 'AlertsAttached', data: { alerts: news, receivedAt: at } },
  );
  if (s.status !== 'resolved' && draft.incident.firingAlerts === 0) resolve(draft, 'source', 'source', at);
  return ok(draft.events);
}

function resolve(
  draft: Draft,
  by: string,
  via: Extract<IncidentCommand, { type: 'Resolve' }>['via'],
  at: string,
  acting: Acting = {},
): Draft {
  const before = draft.incident;
  draft.emit({ type: 'Resolved', data: { by, via, at, ...acting } });
  const seen = new Set<string>();
  for (const page of Object.values(before.pages)) {
    const key = `${page.contact}\u0000${page.channel}\u0000${page.to ?? ''}`;
    if (page.purpose !== 'escalation' || page.channel === 'voice' || seen.has(key)) continue;
    seen.add(key);
    const address = page.method !== undefined && page.to !== undefined ? { method: page.method, to: page.to } : {};
    draft.page([{ contact: page.contact, channel: page.channel, ...address }], before.level, 'resolution', at);
  }
  return draft;
}

/** An optional fact left out is absent from the event, not present as undefined. */
const definedOnly = <T extends object>(facts: T): T =>
  Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined)) as T;
