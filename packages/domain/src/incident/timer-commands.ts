import type { Suppression } from '../silence/windows.ts';
import type { Instant } from '../time/instant.ts';
import type { IncidentCommand, Roster } from './commands.ts';
import type { PendingTimer } from './timers.ts';

/**
 * The command a due timer turns into. Page retries are not commands: the notifier resends the page.
 * `suppression`: the window that holds for the incident's labels at `at`, if any (the caller looks).
 */
export function commandForTimer(
  timer: PendingTimer,
  roster: Roster,
  at: Instant,
  suppression?: Suppression,
): IncidentCommand | undefined {
  const quiet = suppression ? { suppression } : {};
  switch (timer.kind) {
    case 'escalation':
      return { type: 'FireEscalationTimer', timerId: timer.timerId, roster, ...quiet, at };
    case 'status-update':
      return { type: 'FireStatusUpdateTimer', dueAt: timer.dueAt, roster, ...quiet, at };
    case 'page-step':
      return { type: 'FirePageSteps', at };
    case 'suppression-end':
      return { type: 'EndSuppression', roster, ...quiet, at };
    case 'page-retry':
      return undefined;
  }
}
