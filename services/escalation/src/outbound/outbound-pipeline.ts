import { toInstant, type Channel, type ContactSpec, type IncidentState, type ThrottleRule } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { OneTapLinks } from '../acks/one-tap-links.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { NumberClaims } from '../commands/number-claims.ts';
import type { Notifier } from '../paging/notifier.ts';
import { duePages } from './stages/due.ts';
import { freshen } from './stages/fresh.ts';
import { notify } from './stages/notify.ts';
import { recordOutcome } from './stages/record.ts';
import { render } from './stages/render.ts';
import { PageThrottle } from './stages/throttle.ts';
import { pageKey, type WaitingPage } from './waiting-page.ts';

export interface OutboundDeps {
  commands: IncidentCommands;
  notifiers: Record<Channel, Notifier>;
  contacts: Record<string, ContactSpec>;
  throttle: Record<Channel, ThrottleRule>;
  /** Whether this instance sends the incident's pages (with Kafka: it holds the incident's partition). */
  owns: (incidentId: string) => boolean;
  /** Reply codes of bundles, unique across instances. */
  bundleNumbers: NumberClaims;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  oneTapLinks: OneTapLinks;
  pagesSent: Counter<'channel' | 'outcome'>;
  pagesWithheld: Counter<'reason'>;
  pageOutcomesRefused: Counter<'code'>;
}

/**
 * How a committed page intent reaches a person, as one list of stages (after Alertmanager's notification
 * pipeline):
 *
 * 1. **due**: the pages the incident asks for that are not in hand already;
 * 2. **throttle**: per contact and channel, wait for the contact's next message; what waited goes together;
 * 3. **fresh**: the last look at each incident (read again from the store, unless a commit or read of this
 *    same turn brought it up to date): a page not owned here any more, or whose outcome was recorded
 *    meanwhile, is withheld;
 * 4. **render**: one incident's page, or a bundle of several incidents' pages with its reply code;
 * 5. **notify**: the channel's provider;
 * 6. **record**: the outcome into the incident's stream, retried until the store takes it.
 *
 * At-least-once: the intent was committed before stage 1, the outcome is recorded after stage 5, so a crash
 * in between repeats a page and never drops one.
 */
export class OutboundPipeline {
  /** Pages between stage 1 and the end of stage 6: not handed out again. */
  private readonly inHand = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private readonly throttle: PageThrottle<WaitingPage>;
  private releaseScheduled: Promise<void> | undefined;
  /** Incidents offered, with their state as just committed or read, since the last release that offers schedule. */
  private offered = new Set<string>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: OutboundDeps) {
    this.throttle = new PageThrottle(deps.throttle);
  }

  /**
   * Stages 1 and 2: the incident's due pages join their contact's throttle. `current`: the state is as the
   * store stood a moment ago (the after-commit step's, folded from a commit or a read), not what the index
   * held (a rebalance's recovery, a retry's timer), which may lag behind another instance's appends.
   */
  offer(incidentId: string, state: IncidentState, current = false): void {
    if (this.stopping.signal.aborted) return;
    const due = duePages(incidentId, state, toInstant(this.deps.clock.now()), this.inHand);
    for (const waiting of due) {
      this.inHand.add(pageKey(waiting));
      this.throttle.offer(waiting);
    }
    if (due.length === 0) return;
    if (current) this.offered.add(incidentId);
    // Pages offered in one turn of the event loop (a storm's alerts, one batch) are released together.
    this.releaseScheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.releaseScheduled = undefined;
      const offered = this.offered;
      this.offered = new Set();
      this.release(offered);
    });
  }

  /**
   * Every group of waiting pages whose contact may be reached now goes through stages 3 to 6 (the timer loop
   * calls it too). The incidents of `offeredNow` were offered in this turn, with their state as just committed
   * or read: the fresh stage takes that state instead of reading each stream again, a round trip on
   * PostgreSQL on every new incident's way to its first page. The read would catch only another instance's
   * append committed in the moment since; one committed a moment later slips past it all the same.
   */
  release(offeredNow: ReadonlySet<string> = new Set()): void {
    if (this.stopping.signal.aborted) return;
    for (const group of this.throttle.release(this.deps.clock.now().getTime())) {
      const work = this.deliver(group, offeredNow)
        .catch((error: unknown) => this.deps.logger.error({ err: error, pages: group.length }, 'page delivery failed'))
        .finally(() => {
          this.running.delete(work);
          for (const waiting of group) this.inHand.delete(pageKey(waiting));
        });
      this.running.add(work);
    }
  }

  private async deliver(group: WaitingPage[], offeredNow: ReadonlySet<string>): Promise<void> {
    const { deps } = this;
    const fresh = await freshen(group, {
      latest: (incidentId) =>
        offeredNow.has(incidentId)
          ? Promise.resolve(deps.commands.known(incidentId))
          : deps.commands.latest(incidentId),
      known: (incidentId) => deps.commands.known(incidentId),
      owns: deps.owns,
      bundleNumbers: deps.bundleNumbers,
      clock: deps.clock,
      logger: deps.logger,
      pagesWithheld: deps.pagesWithheld,
    });
    if (fresh.pages.length === 0) return;
    const rendered = render(fresh.pages, fresh.bundleNumber, deps);
    const outcome = await notify(rendered.message, deps.notifiers);
    const at = toInstant(deps.clock.now());
    const recording = { ...deps, stopping: this.stopping.signal };
    await Promise.all(
      rendered.pages.map(({ waiting, page }) => recordOutcome(waiting, page, outcome, rendered.bundle, at, recording)),
    );
  }

  /**
   * Ownership moved (a rebalance): pages held for incidents this instance no longer owns are dropped now,
   * not released later by this throttle; their new owner sends those without an outcome.
   */
  dropUnowned(): number {
    const dropped = this.throttle.drop((w) => !this.deps.owns(w.incidentId));
    for (const waiting of dropped) this.inHand.delete(pageKey(waiting));
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

  /** Whether this page is in the pipeline right now (waiting, being sent, or having its outcome recorded). */
  isInFlight(incidentId: string, pageId: string): boolean {
    return this.inHand.has(pageKey({ incidentId, pageId }));
  }

  /** Resolves once every page handed to a provider has its outcome recorded (pages the throttle holds wait on). */
  async drained(): Promise<void> {
    while (this.releaseScheduled || this.running.size > 0) {
      await this.releaseScheduled;
      await Promise.allSettled([...this.running]);
    }
  }

  /** Takes no new pages; those in hand finish, and an outcome the store will not take is given up after one more try. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.drained();
  }
}
