import { pagesToSend, type IncidentState } from '@klaxon/domain';
import { pageKey, type WaitingPage } from '../waiting-page.ts';

/**
 * Stage 1, due: the pages an incident asks for at `now` (intents committed without an outcome, retries
 * whose time came) that are not in hand already. A page in hand is never handed out twice by this process.
 */
export function duePages(incidentId: string, state: IncidentState, now: string, inHand: Set<string>): WaitingPage[] {
  if (!state.exists) return [];
  return pagesToSend(state, now)
    .map((page) => ({
      incidentId,
      pageId: page.pageId,
      contact: page.contact,
      channel: page.channel,
      ...(page.to === undefined ? {} : { to: page.to }),
    }))
    .filter((w) => !inHand.has(pageKey(w)));
}
