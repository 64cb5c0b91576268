import { pagesToSend, toInstant, type Channel, type ContactSpec, type IncidentState } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { IncidentRepository } from '../incidents/incident-repository.ts';
import type { AckLinks } from '../acks/ack-links.ts';
import { NotifierError, type Notifier } from './notifier.ts';

export interface PageDispatcherDeps {
  repository: IncidentRepository;
  notifiers: Record<Channel, Notifier>;
  contacts: Record<string, ContactSpec>;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  ackLinks: AckLinks;
  pagesSent: Counter<'channel' | 'outcome'>;
}

/**
 * Hands committed page intents to their notifiers and records each outcome. A page in hand is never
 * handed out twice by this process; after a crash, an intent without an outcome is sent again
 * (at-least-once: one possible repeat, never a drop).
 */
export class PageDispatcher {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly deps: PageDispatcherDeps) {}

  dispatch(incidentId: string, state: IncidentState): void {
    if (!state.exists) return;
    for (const page of pagesToSend(state, toInstant(this.deps.clock.now()))) {
      const key = `${incidentId}/${page.pageId}`;
      if (this.inFlight.has(key)) continue;
      const work = this.send(incidentId, state, page.pageId).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, work);
    }
  }

  /** Resolves once every page in hand has its outcome recorded. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  private async send(incidentId: string, state: IncidentState & { exists: true }, pageId: string): Promise<void> {
    const { notifiers, contacts, clock, logger, repository, publicUrl, ackLinks } = this.deps;
    const page = state.pages[pageId]!;
    const contact = contacts[page.contact];
    const log = logger.child({ incidentId, pageId, contact: page.contact, channel: page.channel, purpose: page.purpose });
    let outcome: { providerId: string } | NotifierError;
    if (!contact) {
      outcome = new NotifierError(`contact ${page.contact} is no longer in the configuration`, false);
    } else {
      const links = {
        incident: `${publicUrl}/incidents/${incidentId}`,
        ...(page.purpose === 'escalation' ? { acknowledge: `${publicUrl}/ack/${ackLinks.issue(incidentId, page.contact, clock.now())}` } : {}),
      };
      try {
        outcome = await notifiers[page.channel].send({ page, incident: state, contactName: page.contact, contact, links });
      } catch (error) {
        outcome = error instanceof NotifierError ? error : new NotifierError((error as Error).message, true);
      }
    }
    const at = toInstant(clock.now());
    if (outcome instanceof NotifierError) {
      log.warn({ err: outcome.message, retryable: outcome.retryable, attempt: page.attempts + 1 }, 'page failed');
      this.deps.pagesSent.inc({ channel: page.channel, outcome: outcome.retryable ? 'retrying' : 'failed' });
      await repository.execute(incidentId, () => ({ type: 'RecordPageFailed', pageId, error: outcome.message, retryable: outcome.retryable, at }));
    } else {
      log.info({ providerId: outcome.providerId }, 'page delivered');
      this.deps.pagesSent.inc({ channel: page.channel, outcome: 'delivered' });
      await repository.execute(incidentId, () => ({ type: 'RecordPageDelivered', pageId, providerId: outcome.providerId, at }));
    }
  }
}
