import type { Level } from '../severity.ts';
import { instantMs, type Instant } from '../time/instant.ts';
import type { Incident, IncidentState, PageState } from './state.ts';

export type PendingTimer =
  | { kind: 'escalation'; timerId: string; level: Level; dueAt: Instant; reason: 'ack-timeout' | 'resolution-timeout' }
  | { kind: 'status-update'; dueAt: Instant }
  | { kind: 'page-retry'; pageId: string; dueAt: Instant }
  /** Steps of people's notification rules: one timer per instant, however many steps fall due then. */
  | { kind: 'page-step'; dueAt: Instant }
  | { kind: 'suppression-end'; windowId: string; dueAt: Instant };

/**
 * Every timer the incident still waits on, earliest first. Rebuilt from the stream alone after a restart.
 * A resolved incident waits on nothing but the retries of its resolution notices.
 */
export function pendingTimers(state: IncidentState): PendingTimer[] {
  if (!state.exists) return [];
  const open = state.status !== 'resolved';
  // Suppressed, it waits on its window's end alone: the escalations it would fire are scheduled afresh then.
  if (open && state.suppressed)
    return [{ kind: 'suppression-end', windowId: state.suppressed.windowId, dueAt: state.suppressed.until }];
  const timers: PendingTimer[] = open
    ? Object.values(state.escalationTimers).map((t) => ({ kind: 'escalation', ...t }))
    : [];
  if (open && state.statusUpdateDueAt) timers.push({ kind: 'status-update', dueAt: state.statusUpdateDueAt });
  const stepInstants = new Set(
    Object.values(state.pageSteps ?? {})
      .filter((step) => stepStillWanted(state, step))
      .map((step) => step.dueAt),
  );
  for (const dueAt of stepInstants) timers.push({ kind: 'page-step', dueAt });
  for (const page of Object.values(state.pages)) {
    if (page.outcome === 'retrying' && page.retryAt && pageStillWanted(state, page)) {
      timers.push({ kind: 'page-retry', pageId: page.pageId, dueAt: page.retryAt });
    }
  }
  return timers.sort((a, b) => instantMs(a.dueAt) - instantMs(b.dueAt));
}

/**
 * Pages to hand to a notifier now: every committed intent without an outcome (paging is at-least-once,
 * so an intent is never dropped), and every retry that has come due and still matters.
 */
export function pagesToSend(state: IncidentState, now: Instant): PageState[] {
  if (!state.exists) return [];
  const nowMs = instantMs(now);
  return Object.values(state.pages).filter(
    (page) =>
      page.outcome === 'pending' ||
      (page.outcome === 'retrying' &&
        page.retryAt !== undefined &&
        instantMs(page.retryAt) <= nowMs &&
        pageStillWanted(state, page)),
  );
}

/**
 * Resolved, with no page left to send or retry: nothing about the incident can fall due any more, so a
 * service may keep only what lists and searches show of it.
 */
export function isSettled(state: IncidentState): boolean {
  if (!state.exists || state.status !== 'resolved') return false;
  return Object.values(state.pages).every(
    (page) => page.outcome !== 'pending' && !(page.outcome === 'retrying' && pageStillWanted(state, page)),
  );
}

/** A step of someone's rules stops at acknowledgement (a reminder's at resolution). */
export function stepStillWanted(state: Incident, step: Pick<PageState, 'purpose'>): boolean {
  return pageStillWanted(state, step);
}

/** A retry is pointless once someone has answered what the page asked for. */
function pageStillWanted(state: Incident, page: Pick<PageState, 'purpose'>): boolean {
  switch (page.purpose) {
    case 'escalation':
      return state.status === 'open';
    case 'status-update':
      return state.status !== 'resolved';
    case 'resolution':
      return true;
  }
}
