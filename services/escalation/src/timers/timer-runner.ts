import {
  commandForTimer,
  instantMs,
  pendingTimers,
  toInstant,
  type PendingTimer,
  type Suppression,
} from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import { startDueLoop } from './due-loop.ts';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { Rosters } from '../oncall/rosters.ts';
import type { OutboundPipeline } from '../outbound/outbound-pipeline.ts';
import type { IncidentIndex } from '../state/incident-index.ts';

export interface TimerRunnerDeps {
  index: IncidentIndex;
  commands: IncidentCommands;
  rosters: Rosters;
  outbound: OutboundPipeline;
  clock: Clock;
  logger: Logger;
  /** Whether this instance fires the incident's timers (with Kafka: the owner of its group's partition). */
  owns: (incidentId: string) => boolean;
  /** quiet (issue 27): the silence or maintenance window that holds for these labels now, if any. */
  suppression?: (labels: Record<string, string>, at: string) => Suppression | undefined;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Fires what is due. Timers live in the incident streams, so after a restart the index rebuilt from the
 * store holds every pending timer, and overdue ones fire on the first run, late by the downtime at most.
 * A timer that cannot be fired (the store refuses, the decider refuses) is tried again after a backoff of
 * its own incident, so one bad incident neither spins the loop nor holds up the others.
 */
export class TimerRunner {
  private running: Promise<void> | undefined;
  private loop: { stop(): void } | undefined;
  private stopRequested = false;
  private readonly backoff = new Map<string, { until: number; failures: number }>();

  constructor(private readonly deps: TimerRunnerDeps) {}

  /**
   * When each acting incident's earliest timer may run (its due time, or later while the incident backs
   * off), kept up to date by the after-commit step: a tick looks at numbers, not at every incident's state,
   * so ten thousand open incidents cost a tick microseconds, not a scan of their timers.
   */
  private readonly nextRun = new Map<string, number>();
  private tracking = false;

  private track(): void {
    if (this.tracking) return;
    this.tracking = true;
    for (const { state } of this.deps.index.acting()) this.refresh(state.incidentId);
  }

  /** The incident changed (the after-commit step says so): its next due time is looked at again. */
  changed(incidentId: string): void {
    if (this.tracking) this.refresh(incidentId);
  }

  private refresh(incidentId: string): void {
    const state = this.deps.index.get(incidentId)?.state;
    // A resolved incident still has the retries of its resolution notices.
    const first = state ? pendingTimers(state)[0] : undefined;
    if (!first) return void this.nextRun.delete(incidentId);
    this.nextRun.set(incidentId, Math.max(instantMs(first.dueAt), this.backoff.get(incidentId)?.until ?? 0));
  }

  /** One incident's owned pending timers with the time each may run. */
  private candidatesOf(incidentId: string): Array<{ incidentId: string; timer: PendingTimer; runAt: number }> {
    const { index, owns, outbound } = this.deps;
    const state = index.get(incidentId)?.state;
    if (!state || !owns(incidentId)) return [];
    const notBefore = this.backoff.get(incidentId)?.until ?? 0;
    // A retry whose page is being sent right now is not due again: its outcome is on its way.
    return pendingTimers(state)
      .filter((timer) => timer.kind !== 'page-retry' || !outbound.isInFlight(incidentId, timer.pageId))
      .map((timer) => ({ incidentId, timer, runAt: Math.max(instantMs(timer.dueAt), notBefore) }));
  }

  due(now: Date): Array<{ incidentId: string; timer: PendingTimer }> {
    this.track();
    const nowMs = now.getTime();
    const found: Array<{ incidentId: string; timer: PendingTimer; runAt: number }> = [];
    for (const [incidentId, runAt] of this.nextRun)
      if (runAt <= nowMs) found.push(...this.candidatesOf(incidentId).filter((c) => c.runAt <= nowMs));
    return found
      .sort((a, b) => instantMs(a.timer.dueAt) - instantMs(b.timer.dueAt))
      .map(({ incidentId, timer }) => ({ incidentId, timer }));
  }

  nextDueAt(): number | undefined {
    this.track();
    const nowMs = this.deps.clock.now().getTime();
    let next = this.deps.outbound.nextReleaseAt();
    for (const [incidentId, runAt] of this.nextRun) {
      // Not yet due: the cached time is exact. Due already: look closer (another instance's incident, a
      // retry in flight), so the loop does not spin on what it will not fire.
      const times = runAt > nowMs ? [runAt] : this.candidatesOf(incidentId).map((c) => c.runAt);
      for (const t of times) if (next === undefined || t < next) next = t;
    }
    return next;
  }

  /** Runs every due timer, one incident at a time, earliest first; concurrent calls share one run. */
  runDue(): Promise<void> {
    this.running ??= this.fire().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Wall-clock operation: wake at the next due time, and at least every `maxSleepMs` to see new timers. */
  start(maxSleepMs = 1000): void {
    this.stopRequested = false;
    this.loop = startDueLoop(
      this,
      this.deps.clock,
      (error) => this.deps.logger.error({ err: error }, 'timer run failed; retrying'),
      maxSleepMs,
    );
  }

  /** Fires nothing more: the run in progress finishes the timer in hand and stops; the loop is not re-armed. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.loop?.stop();
    this.loop = undefined;
    await this.running;
  }

  private async fire(): Promise<void> {
    const { clock, outbound } = this.deps;
    // Pages the throttle held whose contact may be reached again go out first.
    outbound.release();
    // An incident that settled while it backed off has no timers left to hold back.
    for (const incidentId of this.backoff.keys()) {
      const state = this.deps.index.get(incidentId)?.state;
      if (state === undefined || pendingTimers(state).length === 0) this.backoff.delete(incidentId);
    }
    for (const { incidentId, timer } of this.due(clock.now())) {
      if (this.stopRequested) return;
      try {
        await this.fireOne(incidentId, timer);
      } catch (error) {
        this.backOff(incidentId, error);
        continue;
      }
      if (this.stillDue(incidentId, timer))
        this.backOff(incidentId, new Error(`${timer.kind} timer still due after firing`));
      else if (this.backoff.delete(incidentId)) this.refresh(incidentId);
    }
  }

  private async fireOne(incidentId: string, timer: PendingTimer): Promise<void> {
    const { commands, rosters, outbound, clock, logger } = this.deps;
    const at = toInstant(clock.now());
    if (timer.kind === 'page-retry') {
      const current = this.deps.index.get(incidentId);
      if (current) outbound.offer(incidentId, current.state);
      return;
    }
    const execution = await commands.execute(incidentId, (state) =>
      state.exists
        ? commandForTimer(timer, rosters.forPolicy(state.policy, at), at, this.deps.suppression?.(state.labels, at))
        : undefined,
    );
    if (!execution.ok) {
      logger.warn({ incidentId, code: execution.error.code, timer: timer.kind }, 'timer refused');
      return;
    }
    if (execution.events.length > 0)
      logger.info(
        { incidentId, timer: timer.kind, dueAt: timer.dueAt, lateMs: instantMs(at) - instantMs(timer.dueAt) },
        'timer fired',
      );
  }

  private stillDue(incidentId: string, fired: PendingTimer): boolean {
    const current = this.deps.index.get(incidentId);
    if (!current || fired.kind === 'page-retry') return false;
    return pendingTimers(current.state).some(
      (t) => t.kind === fired.kind && t.dueAt === fired.dueAt && sameTimer(t, fired),
    );
  }

  private backOff(incidentId: string, error: unknown): void {
    const failures = (this.backoff.get(incidentId)?.failures ?? 0) + 1;
    const retryInMs = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
    this.backoff.set(incidentId, { until: this.deps.clock.now().getTime() + retryInMs, failures });
    this.refresh(incidentId);
    this.deps.logger[failures === 1 ? 'error' : 'warn'](
      { err: error, incidentId, failures, retryInMs },
      'timer not fired; backing off',
    );
  }
}

const sameTimer = (a: PendingTimer, b: PendingTimer) =>
  a.kind !== 'escalation' || b.kind !== 'escalation' || a.timerId === b.timerId;
