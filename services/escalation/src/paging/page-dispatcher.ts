import { setTimeout } from 'node:timers/promises';
import {
  pagesToSend,
  toInstant,
  type Channel,
  type ContactSpec,
  type IncidentCommand,
  type IncidentState,
  type PagePurpose,
  type PageState,
  type ThrottleRule,
} from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { AckLinks } from '../acks/ack-links.ts';
import type { IncidentRepository } from '../incidents/incident-repository.ts';
import type { NumberClaims } from '../incidents/number-claims.ts';
import { addressed } from './method-address.ts';
import { NotifierError, type Notifier, type OutgoingPage, type Sent } from './notifier.ts';
import { PageThrottle } from './page-throttle.ts';

const PURPOSE_RANK: Record<PagePurpose, number> = { escalation: 0, 'status-update': 1, resolution: 2 };
const FIRST_RECORD_BACKOFF_MS = 500;
const MAX_RECORD_BACKOFF_MS = 30_000;

export interface PageDispatcherDeps {
  repository: IncidentRepository;
  notifiers: Record<Channel, Notifier>;
  contacts: Record<string, ContactSpec>;
  throttle: Record<Channel, ThrottleRule>;
  /**
   * The incident as its stream stands now, read again just before its pages go out: a page that waited
   * goes out with what is current, and not at all once its outcome is recorded (by another instance too).
   */
  latest: (incidentId: string) => Promise<IncidentState | undefined>;
  /** Whether this instance sends the incident's pages (with Kafka: it holds the incident's partition). */
  owns: (incidentId: string) => boolean;
  /** Reply codes of bundles, unique across instances. */
  bundleNumbers: NumberClaims;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  ackLinks: AckLinks;
  pagesSent: Counter<'channel' | 'outcome'>;
  pagesWithheld: Counter<'reason'>;
  pageOutcomesRefused: Counter<'code'>;
}

interface Waiting {
  incidentId: string;
  pageId: string;
  contact: string;
  channel: Channel;
  /** A contact method's address: throttled and bundled apart from the contact's other addresses. */
  to?: string;
}

/**
 * The after-commit step of paging: hands committed page intents to their notifiers, through one stage
 * that throttles and bundles per contact and channel, and records each outcome. A page in hand is never
 * handed out twice by this process; after a crash, an intent without an outcome is sent again
 * (at-least-once: one possible repeat, never a drop).
 */
export class PageDispatcher {
  /** Pages waiting for the throttle or being sent: not handed out again. */
  private readonly inHand = new Set<string>();
  private readonly sending = new Set<Promise<void>>();
  private readonly throttle: PageThrottle<Waiting>;
  private releaseScheduled: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: PageDispatcherDeps) {
    this.throttle = new PageThrottle(deps.throttle);
  }

  dispatch(incidentId: string, state: IncidentState): void {
    if (!state.exists || this.stopping.signal.aborted) return;
    let offered = false;
    for (const page of pagesToSend(state, toInstant(this.deps.clock.now()))) {
      const key = `${incidentId}/${page.pageId}`;
      if (this.inHand.has(key)) continue;
      this.inHand.add(key);
      const to = page.to === undefined ? {} : { to: page.to };
      this.throttle.offer({ incidentId, pageId: page.pageId, contact: page.contact, channel: page.channel, ...to });
      offered = true;
    }
    // Pages offered in one turn of the event loop (a storm's alerts, one batch) are released together.
    if (offered)
      this.releaseScheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.releaseScheduled = undefined;
        this.release();
      });
  }

  /** Sends every group of waiting pages whose contact may be reached now (the timer loop calls it too). */
  release(): void {
    if (this.stopping.signal.aborted) return;
    for (const group of this.throttle.release(this.deps.clock.now().getTime())) {
      const work = this.sendGroup(group)
        .catch((error: unknown) => this.deps.logger.error({ err: error, pages: group.length }, 'page dispatch failed'))
        .finally(() => {
          this.sending.delete(work);
          for (const w of group) this.inHand.delete(`${w.incidentId}/${w.pageId}`);
        });
      this.sending.add(work);
    }
  }

  /**
   * Ownership moved (a rebalance): pages held for incidents this instance no longer owns are dropped now,
   * not released later by this throttle; their new owner sends those without an outcome.
   */
  dropUnowned(): number {
    const dropped = this.throttle.drop((w) => !this.deps.owns(w.incidentId));
    for (const w of dropped) this.inHand.delete(`${w.incidentId}/${w.pageId}`);
    if (dropped.length > 0) {
      this.deps.pagesWithheld.inc({ reason: 'not-owned' }, dropped.length);
      this.deps.logger.info(
        { pages: dropped.length, incidents: new Set(dropped.map((w) => w.incidentId)).size },
        'dropped held pages of incidents this instance no longer owns',
      );
    }
    return dropped.length;
  }

  /** When the throttle next lets a waiting page go. */
  nextReleaseAt(): number | undefined {
    return this.throttle.nextReleaseAt();
  }

  /** Pages the throttle holds for their contact's next message, per channel. */
  held(): Partial<Record<Channel, number>> {
    return this.throttle.waitingByChannel();
  }

  /** Whether this page is waiting for the throttle, being sent or having its outcome recorded right now. */
  isInFlight(incidentId: string, pageId: string): boolean {
    return this.inHand.has(`${incidentId}/${pageId}`);
  }

  /** Resolves once every page handed to a provider has its outcome recorded (pages the throttle holds wait on). */
  async settle(): Promise<void> {
    while (this.releaseScheduled || this.sending.size > 0) {
      await this.releaseScheduled;
      await Promise.allSettled([...this.sending]);
    }
  }

  /** Takes no new pages; those in hand finish, and an outcome the store will not take is given up after one more try. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.settle();
  }

  private outgoing(w: Waiting, incident: IncidentState | undefined): OutgoingPage | undefined {
    const { contacts, publicUrl, ackLinks, clock } = this.deps;
    const page = incident?.exists ? incident.pages[w.pageId] : undefined;
    const contact = contacts[w.contact] && page ? addressed(contacts[w.contact]!, page) : undefined;
    if (!incident?.exists || !page || !contact) return undefined;
    const links = {
      incident: `${publicUrl}/incidents/${w.incidentId}`,
      ...(page.purpose === 'escalation'
        ? { acknowledge: `${publicUrl}/ack/${ackLinks.issue(w.incidentId, w.contact, clock.now())}` }
        : {}),
    };
    return { page, incident, contactName: w.contact, contact, links };
  }

  /** Each incident of the group as its stream stands now; what the index holds where the store cannot be read. */
  private async latestOf(group: Waiting[]): Promise<Map<string, IncidentState | undefined>> {
    const ids = [...new Set(group.map((w) => w.incidentId))];
    const states = await Promise.all(
      ids.map((incidentId) =>
        this.deps.latest(incidentId).catch((error: unknown) => {
          this.deps.logger.warn(
            { err: error, incidentId },
            'could not read the incident again before paging; paging from what this instance knows',
          );
          return this.deps.repository.known(incidentId);
        }),
      ),
    );
    return new Map(ids.map((id, i) => [id, states[i]]));
  }

  /**
   * Whether the page is still this instance's to send: its incident is owned here, and its latest state
   * still asks for it (no outcome recorded, by anyone). Else it is withheld, and nothing is recorded.
   */
  private stillToSend(w: Waiting, incident: IncidentState | undefined, now: string): boolean {
    const reason = !this.deps.owns(w.incidentId)
      ? 'not-owned'
      : incident?.exists && !pagesToSend(incident, now).some((p) => p.pageId === w.pageId)
        ? 'outcome-recorded'
        : undefined;
    if (reason === undefined) return true;
    this.deps.pagesWithheld.inc({ reason });
    this.deps.logger.info(
      { incidentId: w.incidentId, pageId: w.pageId, contact: w.contact, channel: w.channel, reason },
      reason === 'not-owned'
        ? 'page withheld: its incident is no longer owned here'
        : 'page withheld: its outcome is recorded already',
    );
    return false;
  }

  private async sendGroup(all: Waiting[]): Promise<void> {
    const { notifiers, contacts, publicUrl } = this.deps;
    // Everything that waits for the store first, so that nothing stands between the last look at the
    // incidents and the provider call. A bundle number not used after all is a gap.
    const bundleNumber =
      new Set(all.map((w) => w.incidentId)).size > 1 ? await this.deps.bundleNumbers.take() : undefined;
    const latest = await this.latestOf(all);
    const now = toInstant(this.deps.clock.now());
    const group = all.filter((w) => this.stillToSend(w, latest.get(w.incidentId), now));
    const first = group[0];
    if (!first) return;
    const contact = contacts[first.contact] && addressed(contacts[first.contact]!, first);
    const pages = group.map((w) => ({ w, out: this.outgoing(w, latest.get(w.incidentId)) }));
    // Most important first: an escalation page speaks for the others of its incident (a reminder, a notice).
    const ready = pages
      .flatMap((p) => (p.out ? [p.out] : []))
      .sort((a, b) => PURPOSE_RANK[a.page.purpose] - PURPOSE_RANK[b.page.purpose]);
    // Pages of one incident go out as its single page; a bundle is for several incidents, with its own reply code.
    const incidents = new Set(ready.map((p) => p.incident.incidentId)).size;
    const bundle = incidents > 1 ? bundleNumber : undefined;
    let outcome: Sent | NotifierError;
    if (!contact) {
      outcome = new NotifierError(`contact ${first.contact} is no longer in the configuration`, false);
    } else if (ready.length === 0) {
      outcome = new NotifierError('the incident is no longer known', false);
    } else {
      try {
        outcome =
          bundle === undefined
            ? await notifiers[first.channel].send(ready[0]!)
            : await notifiers[first.channel].sendBundle({
                number: bundle,
                contactName: first.contact,
                contact,
                pages: ready,
                links: { incidents: `${publicUrl}/` },
              });
      } catch (error) {
        outcome = error instanceof NotifierError ? error : new NotifierError((error as Error).message, true);
      }
    }
    const at = toInstant(this.deps.clock.now());
    await Promise.all(pages.map(({ w, out }) => this.recordOutcome(w, out?.page, outcome, bundle, at)));
  }

  private async recordOutcome(
    w: Waiting,
    page: PageState | undefined,
    outcome: Sent | NotifierError,
    bundle: number | undefined,
    at: string,
  ): Promise<void> {
    const log = this.deps.logger.child({
      incidentId: w.incidentId,
      pageId: w.pageId,
      contact: w.contact,
      channel: w.channel,
      purpose: page?.purpose,
      ...(bundle ? { bundle } : {}),
    });
    if (outcome instanceof NotifierError) {
      log.warn(
        { err: outcome.message, retryable: outcome.retryable, attempt: (page?.attempts ?? 0) + 1 },
        'page failed',
      );
      this.deps.pagesSent.inc({ channel: w.channel, outcome: outcome.retryable ? 'retrying' : 'failed' });
      const retryAfter = outcome.retryAfterMs === undefined ? {} : { retryAfterMs: outcome.retryAfterMs };
      await this.record(
        w.incidentId,
        {
          type: 'RecordPageFailed',
          pageId: w.pageId,
          error: outcome.message,
          retryable: outcome.retryable,
          ...retryAfter,
          at,
        },
        log,
      );
    } else {
      log.info(
        { providerId: outcome.providerId, provider: outcome.provider },
        bundle ? 'page delivered in a bundle' : 'page delivered',
      );
      this.deps.pagesSent.inc({ channel: w.channel, outcome: 'delivered' });
      await this.record(
        w.incidentId,
        {
          type: 'RecordPageDelivered',
          pageId: w.pageId,
          providerId: outcome.providerId,
          ...(bundle ? { bundle } : {}),
          ...(outcome.provider ? { provider: outcome.provider } : {}),
          at,
        },
        log,
      );
    }
  }

  /**
   * The provider has answered: the outcome must reach the store, or the page goes out again after a restart.
   * While the store refuses, keep trying with backoff rather than sending again (that would page twice).
   */
  private async record(incidentId: string, command: IncidentCommand, log: Logger): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const execution = await this.deps.repository.execute(incidentId, () => command);
        if (!execution.ok) {
          // Its outcome was recorded first by another instance (the page went out from both), or the page is unknown.
          this.deps.pageOutcomesRefused.inc({ code: execution.error.code });
          log.warn(
            {
              code: execution.error.code,
              outcome: command.type === 'RecordPageDelivered' ? 'delivered' : 'failed',
              ...(command.type === 'RecordPageDelivered' ? { providerId: command.providerId } : {}),
            },
            'page outcome refused by the incident',
          );
          return;
        }
        if (attempt > 1) log.info({ attempt }, 'page outcome recorded after retrying');
        return;
      } catch (error) {
        if (this.stopping.signal.aborted) {
          log.error(
            { err: error },
            'page outcome not recorded before stopping; the page goes out again on restart (at-least-once)',
          );
          return;
        }
        const retryInMs = Math.min(MAX_RECORD_BACKOFF_MS, FIRST_RECORD_BACKOFF_MS * 2 ** (attempt - 1));
        log[attempt === 1 ? 'error' : 'warn'](
          { err: error, attempt, retryInMs },
          'could not record the page outcome; retrying',
        );
        await setTimeout(retryInMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }
}
