import { commandForTimer, instantMs, pendingTimers, toInstant, type PendingTimer } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { IncidentIndex } from '../incidents/incident-index.ts';
import type { Execution, IncidentRepository } from '../incidents/incident-repository.ts';
import type { Rosters } from '../incidents/rosters.ts';
import type { PageDispatcher } from '../paging/page-dispatcher.ts';

export interface TimerRunnerDeps {
  index: IncidentIndex;
  repository: IncidentRepository;
  rosters: Rosters;
  dispatcher: PageDispatcher;
  clock: Clock;
  logger: Logger;
  /** Whether this instance fires the incident's timers (with Kafka: the owner of its group's partition). */
  owns: (incidentId: string) => boolean;
  onExecuted: (incidentId: string, execution: Execution) => void;
}

/**
 * Fires what is due. Timers live in the incident streams, so after a restart the index rebuilt from the
 * store holds every pending timer, and overdue ones fire on the first run, late by the downtime at most.
 */
export class TimerRunner {
  private running: Promise<void> | undefined;
  private loop: NodeJS.Timeout | undefined;

  constructor(private readonly deps: TimerRunnerDeps) {}

  due(now: Date): Array<{ incidentId: string; timer: PendingTimer }> {
    const nowMs = now.getTime();
    return this.deps.index
      .unresolved()
      .filter(({ state }) => this.deps.owns(state.incidentId))
      .flatMap(({ state }) => pendingTimers(state).map((timer) => ({ incidentId: state.incidentId, timer })))
      .filter(({ timer }) => instantMs(timer.dueAt) <= nowMs)
      .sort((a, b) => instantMs(a.timer.dueAt) - instantMs(b.timer.dueAt));
  }

  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const { state } of this.deps.index.unresolved()) {
      if (!this.deps.owns(state.incidentId)) continue;
      const first = pendingTimers(state)[0];
      if (first && (next === undefined || instantMs(first.dueAt) < next)) next = instantMs(first.dueAt);
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
    const tick = async () => {
      try {
        await this.runDue();
      } catch (error) {
        this.deps.logger.error({ err: error }, 'timer run failed; retrying');
      }
      const next = this.nextDueAt();
      const sleep = next === undefined ? maxSleepMs : Math.max(0, Math.min(maxSleepMs, next - this.deps.clock.now().getTime()));
      this.loop = setTimeout(tick, sleep);
    };
    this.loop = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.loop);
    this.loop = undefined;
    await this.running;
  }

  private async fire(): Promise<void> {
    const { repository, rosters, dispatcher, clock, logger } = this.deps;
    for (const { incidentId, timer } of this.due(clock.now())) {
      const at = toInstant(clock.now());
      if (timer.kind === 'page-retry') {
        const current = this.deps.index.get(incidentId);
        if (current) dispatcher.dispatch(incidentId, current.state);
        continue;
      }
      const execution = await repository.execute(incidentId, (state) =>
        state.exists ? commandForTimer(timer, rosters.forPolicy(state.policy, at), at) : undefined,
      );
      if (!execution.ok) {
        logger.warn({ incidentId, code: execution.error.code, timer: timer.kind }, 'timer refused');
        continue;
      }
      if (execution.events.length > 0) {
        logger.info({ incidentId, timer: timer.kind, dueAt: timer.dueAt, lateMs: instantMs(at) - instantMs(timer.dueAt) }, 'timer fired');
        this.deps.onExecuted(incidentId, execution);
      }
    }
  }
}
