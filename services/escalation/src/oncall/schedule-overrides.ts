import { randomBytes } from 'node:crypto';
import {
  decideOverride,
  evolveAllOverrides,
  initialOverridesState,
  SCHEDULE_STREAM_PREFIX,
  scheduleEventSchema,
  scheduleStream,
  toInstant,
  withStreamOverrides,
  type OverrideCommand,
  type OverrideError,
  type OverridesState,
  type Result,
  type ScheduleEvent,
  type ScheduleSpec,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent, Subscription } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';

export type OverrideChangeError = OverrideError | { code: 'UnknownSchedule'; schedule: string };

export interface AppliedChange {
  events: ScheduleEvent[];
  /** The schedule as it ran just before the change and just after, for notices. */
  before: ScheduleSpec;
  after: ScheduleSpec;
}

export interface ScheduleOverridesDeps {
  store: EventStore;
  schedules: Record<string, ScheduleSpec>;
  people: () => ReadonlySet<string>;
  clock: Clock;
  logger: Logger;
}

const eventsOf = (recorded: RecordedEvent[]): Array<{ schedule: string; event: ScheduleEvent }> =>
  recorded.flatMap((e) => {
    const parsed = scheduleEventSchema.safeParse({ type: e.type, data: e.data });
    return parsed.success ? [{ schedule: e.streamId.slice(SCHEDULE_STREAM_PREFIX.length), event: parsed.data }] : [];
  });

export const newOverrideId = (): string => `ovr_${randomBytes(6).toString('hex')}`;

const APPEND_ATTEMPTS = 5;

/**
 * The schedules as they run: the configuration's, with the overrides of their `schedule-<name>` streams,
 * followed through a store subscription of its own so a change made on any instance reaches this one's
 * rosters. Each schedule's merged form is one object until its overrides change, so the rotation's
 * per-minute answer stays cached across the pages of a storm.
 */
export class ScheduleOverrides {
  private readonly states = new Map<string, OverridesState>();
  private running: Record<string, ScheduleSpec>;
  private subscription: Subscription | undefined;

  constructor(private readonly deps: ScheduleOverridesDeps) {
    this.running = {};
    this.refresh();
  }

  /** Merges again from the configuration's schedules as they are now (after a reload changed them in place). */
  refresh(): void {
    this.running = Object.fromEntries(
      Object.entries(this.deps.schedules).map(([name, spec]) => [
        name,
        withStreamOverrides(spec, this.states.get(name) ?? initialOverridesState()),
      ]),
    );
  }

  async start(): Promise<void> {
    this.subscription = this.deps.store.subscribe({
      streamPrefix: SCHEDULE_STREAM_PREFIX,
      onEvents: (batch) => this.apply(eventsOf(batch)),
      onError: (error) => this.deps.logger.error({ err: error }, 'stopped following schedule overrides in the store'),
    });
    await this.subscription.caughtUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Every schedule as it runs now: YAML overrides, then the stream's. */
  schedules(): Record<string, ScheduleSpec> {
    return this.running;
  }

  /** Decides a change on the schedule's stream as stored (not this instance's picture) and appends it. */
  async change(
    schedule: string,
    command: (now: string) => OverrideCommand,
  ): Promise<Result<AppliedChange, OverrideChangeError>> {
    const spec = this.deps.schedules[schedule];
    if (!spec) return { ok: false, error: { code: 'UnknownSchedule', schedule } };
    const stream = scheduleStream(schedule);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.deps.store.readStream(stream);
      const state = evolveAllOverrides(eventsOf(recorded).map((e) => e.event));
      const decided = decideOverride(command(toInstant(this.deps.clock.now())), state, {
        schedule: spec,
        people: this.deps.people(),
      });
      if (!decided.ok) return decided;
      const appended = await this.deps.store.append(
        stream,
        decided.value.map((e) => ({ type: e.type, data: e.data })),
        recorded.length === 0 ? 'no_stream' : recorded.at(-1)!.revision,
      );
      if (appended.ok) {
        const before = withStreamOverrides(spec, state);
        // This instance's rosters change at once, from the whole stream as stored: the subscription brings
        // the same events later, and folded again they neither change nor reorder anything.
        this.states.set(schedule, evolveAllOverrides(decided.value, state));
        this.rebuild([schedule]);
        return { ok: true, value: { events: decided.value, before, after: this.running[schedule]! } };
      }
      if (attempt >= APPEND_ATTEMPTS) throw new Error(`${stream} kept changing under ${APPEND_ATTEMPTS} attempts`);
    }
  }

  private apply(events: Array<{ schedule: string; event: ScheduleEvent }>) {
    const touched = new Set<string>();
    for (const { schedule, event } of events) {
      if (!this.deps.schedules[schedule]) continue;
      this.states.set(schedule, evolveAllOverrides([event], this.states.get(schedule) ?? initialOverridesState()));
      touched.add(schedule);
    }
    this.rebuild(touched);
  }

  private rebuild(touched: Iterable<string>) {
    const running = { ...this.running };
    for (const schedule of touched)
      running[schedule] = withStreamOverrides(this.deps.schedules[schedule]!, this.states.get(schedule)!);
    this.running = running;
  }
}
