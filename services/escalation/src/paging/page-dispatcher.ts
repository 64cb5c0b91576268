import { setTimeout } from 'node:timers/promises';
import { pagesToSend, toInstant, type Channel, type ContactSpec, type IncidentCommand, type IncidentState } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { IncidentRepository } from '../incidents/incident-repository.ts';
import type { AckLinks } from '../acks/ack-links.ts';
import { NotifierError, type Notifier } from './notifier.ts';

const FIRST_RECORD_BACKOFF_MS = 500;
const MAX_RECORD_BACKOFF_MS = 30_000;

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
  private readonly stopping = new AbortController();

  constructor(private readonly deps: PageDispatcherDeps) {}

  dispatch(incidentId: string, state: IncidentState): void {
    if (!state.exists || this.stopping.signal.aborted) return;
    for (const page of pagesToSend(state, toInstant(this.deps.clock.now()))) {
      const key = `${incidentId}/${page.pageId}`;
      if (this.inFlight.has(key)) continue;
      const work = this.send(incidentId, state, page.pageId)
        .catch((error: unknown) => this.deps.logger.error({ err: error, incidentId, pageId: page.pageId }, 'page dispatch failed'))
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, work);
    }
  }

  /** Whether this page is being sent or its outcome recorded right now. */
  isInFlight(incidentId: string, pageId: string): boolean {
    return this.inFlight.has(`${incidentId}/${pageId}`);
  }

  /** Resolves once every page in hand has its outcome recorded. */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Takes no new pages; those in hand finish, and an outcome the store will not take is given up after one more try. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.settle();
  }

  /**
   * The provider has answered: the outcome must reach the store, or the page goes out again after a restart.
   * While the store refuses, keep trying with backoff rather than sending again (that would page twice).
   */
  private async record(incidentId: string, command: IncidentCommand, log: Logger): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.deps.repository.execute(incidentId, () => command);
        if (attempt > 1) log.info({ attempt }, 'page outcome recorded after retrying');
        return;
      } catch (error) {
        if (this.stopping.signal.aborted) {
          log.error({ err: error }, 'page outcome not recorded before stopping; the page goes out again on restart (at-least-once)');
          return;
        }
        const retryInMs = Math.min(MAX_RECORD_BACKOFF_MS, FIRST_RECORD_BACKOFF_MS * 2 ** (attempt - 1));
        log[attempt === 1 ? 'error' : 'warn']({ err: error, attempt, retryInMs }, 'could not record the page outcome; retrying');
        await setTimeout(retryInMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  private async send(incidentId: string, state: IncidentState & { exists: true }, pageId: string): Promise<void> {
    const { notifiers, contacts, clock, logger, publicUrl, ackLinks } = this.deps;
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
      await this.record(incidentId, { type: 'RecordPageFailed', pageId, error: outcome.message, retryable: outcome.retryable, at }, log);
    } else {
      log.info({ providerId: outcome.providerId }, 'page delivered');
      this.deps.pagesSent.inc({ channel: page.channel, outcome: 'delivered' });
      await this.record(incidentId, { type: 'RecordPageDelivered', pageId, providerId: outcome.providerId, at }, log);
    }
  }
}
