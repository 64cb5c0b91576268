import type { Instant } from '../time/instant.ts';
import type { IncidentCommand, Roster } from './commands.ts';
import type { PendingTimer } from './timers.ts';

/** The command a due timer turns into. Page retries are not commands: the notifier resends the page. */
export function commandForTimer(timer: PendingTimer, roster: Roster, at: Instant): IncidentCommand | undefined {
  switch (timer.kind) {
    case 'escalation':
      return { type: 'FireEscalationTimer', timerId: timer.timerId, roster, at };
    case 'status-update':
      return { type: 'FireStatusUpdateTimer', dueAt: timer.dueAt, roster, at };
    case 'page-step':
      return { type: 'FirePageSteps', at };
    case 'page-retry':
      return undefined;
  }
}
