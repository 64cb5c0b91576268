import {
  compileMatcher,
  decideHeartbeat,
  evolveHeartbeat,
  HEARTBEAT_STREAM_PREFIX,
  heartbeatAlert,
  heartbeatDueAt,
  heartbeatEventSchema,
  heartbeatStream,
  initialHeartbeatState,
  instantMs,
  toInstant,
  type AlertReceived,
  type HeartbeatCommand,
  type HeartbeatEvent,
  type HeartbeatState,
  type HeartbeatTimings,
  type LabelMatcher,
  type Labels,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent, Subscription } from '@klaxon/event-store';
import { startDueLoop } from '../timers/due-loop.ts';
import type { Clock, Logger } from '@klaxon/service-kit';

export interface HeartbeatSpec {
  interval: number;
  grace: number;
  labels: Labels;
  match?: Record<string, string>;
  integration?: string;
}

export interface HeartbeatMonitorsDeps {
  store: EventStore;
  specs: Record<string, HeartbeatSpec>;
  clock: Clock;
  logger: Logger;
  /** Hands a miss (firing) or its end (resolved) to alert handling, as if it came from the bus. */
  raise: (alerts: AlertReceived[]) => Promise<void>;
  /** Whether this instance checks the monitor for misses (the holder of its bus key); the store settles races. */
  owns: (name: string) => boolean;
}

export interface HeartbeatView {
  name: string;
  state: 'ok' | 'missed';
  lastBeatAt: string | null;
  dueAt: string | null;
}

interface Monitor {
  name: string;
  spec: HeartbeatSpec;
  timings: HeartbeatTimings;
  matcher?: LabelMatcher;
  state: HeartbeatState;
  /** Revision of the last event folded into `state`; -1 before the stream exists. */
  revision: number;
}

const MAX_ATTEMPTS = 8;

/**
 * Heartbeat monitors, their state only what their streams say (`heartbeat-<name>`), followed through the
 * store so a beat any instance wrote counts everywhere. A miss is decided against the stream at its expected
 * revision: two instances checking at once write it once, and only the writer raises the alert. A monitor
 * overdue while Klaxon was down is missed at the first check after start, once.
 */
export class HeartbeatMonitors {
  private readonly monitors = new Map<string, Monitor>();
  private subscription: Subscription | undefined;
  private loop: { stop(): void } | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: HeartbeatMonitorsDeps) {
    for (const [name, spec] of Object.entries(deps.specs)) {
      const compiled = spec.match ? compileMatcher(spec.match) : undefined;
      if (compiled && !compiled.ok) throw new Error(`heartbeat ${name}: bad matcher on ${compiled.error.label}`);
      this.monitors.set(name, {
        name,
        spec,
        timings: { intervalMs: spec.interval, graceMs: spec.grace },
        ...(compiled?.ok ? { matcher: compiled.value } : {}),
        state: initialHeartbeatState(),
        revision: -1,
      });
    }
  }

  /** Follows the streams, arms monitors that never beat, and raises again a miss whose alert may have been lost. */
  async start(): Promise<void> {
    this.subscription = this.deps.store.subscribe({
      streamPrefix: HEARTBEAT_STREAM_PREFIX,
      onEvents: (batch) => this.fold(batch),
      onError: (error) => this.deps.logger.error({ err: error }, 'stopped following heartbeat streams'),
    });
    await this.subscription.caughtUp();
    const at = toInstant(this.deps.clock.now());
    for (const monitor of this.monitors.values()) {
      if (monitor.state.armedAt === undefined) await this.execute(monitor, { type: 'Arm', at });
      // The miss was written but its alert may not have been handled before a crash: raising it again is
      // harmless (the same alert, with the same start, joins its incident or is known as handled).
      else if (monitor.state.missedAt !== undefined && this.deps.owns(monitor.name))
        await this.raise(monitor, 'firing', at);
    }
  }

  /** Wall-clock operation: wakes at the next due time, at least every `maxSleepMs`. */
  startLoop(maxSleepMs = 1000): void {
    this.loop = startDueLoop(
      this,
      this.deps.clock,
      (error) => this.deps.logger.error({ err: error }, 'heartbeat check failed; retrying'),
      maxSleepMs,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.loop?.stop();
    await this.running;
    await this.subscription?.stop();
  }

  has(name: string): boolean {
    return this.monitors.has(name);
  }

  /** A beat of a named monitor (`POST /api/v1/heartbeats/:name` through ingest). */
  async beat(name: string, at: string): Promise<void> {
    const monitor = this.monitors.get(name);
    if (!monitor) return void this.deps.logger.warn({ heartbeat: name }, 'a beat of an unknown heartbeat: ignored');
    await this.beatOf(monitor, at);
  }

  /**
   * Alerts from the bus: those a monitor's `match` takes are beats and nothing else (a Watchdog pages
   * nobody); every alert of an integration a monitor watches is a beat too, and is still handled.
   */
  async takeBeats(alerts: AlertReceived[]): Promise<AlertReceived[]> {
    if (this.monitors.size === 0 || alerts.length === 0) return alerts;
    const beats = new Map<Monitor, string>();
    const rest = alerts.filter((alert) => {
      let isBeat = false;
      for (const monitor of this.monitors.values()) {
        const byMatch = alert.status === 'firing' && monitor.matcher?.matches(alert.labels) === true;
        if (byMatch || monitor.spec.integration === alert.integration) beats.set(monitor, alert.receivedAt);
        isBeat ||= byMatch;
      }
      return !isBeat;
    });
    for (const [monitor, at] of beats) await this.beatOf(monitor, at);
    return rest;
  }

  /** Checks every owned monitor whose beat is overdue; concurrent calls share one run. */
  runDue(): Promise<void> {
    this.running ??= this.checkDue().finally(() => (this.running = undefined));
    return this.running;
  }

  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const monitor of this.monitors.values()) {
      const due = this.dueOf(monitor);
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  list(): HeartbeatView[] {
    return [...this.monitors.values()].map(({ name, state, timings }) => ({
      name,
      state: state.missedAt === undefined ? 'ok' : 'missed',
      lastBeatAt: state.lastBeatAt ?? null,
      dueAt: heartbeatDueAt(state, timings) ?? null,
    }));
  }

  private dueOf(monitor: Monitor): number | undefined {
    if (monitor.state.missedAt !== undefined || !this.deps.owns(monitor.name)) return undefined;
    const due = heartbeatDueAt(monitor.state, monitor.timings);
    return due === undefined ? undefined : instantMs(due);
  }

  private async checkDue(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    for (const monitor of this.monitors.values()) {
      if (this.stopped) return;
      const due = this.dueOf(monitor);
      if (due === undefined || due > now) continue;
      const at = toInstant(now);
      const written = await this.execute(monitor, { type: 'Check', at });
      if (written.some((e) => e.type === 'HeartbeatMissed')) {
        this.deps.logger.warn({ heartbeat: monitor.name, dueAt: monitor.state.missedAt }, 'heartbeat missed');
        await this.raise(monitor, 'firing', at);
      }
    }
  }

  private async beatOf(monitor: Monitor, at: string): Promise<void> {
    const missedAt = monitor.state.missedAt;
    const written = await this.execute(monitor, { type: 'Beat', at });
    if (missedAt !== undefined && written.some((e) => e.type === 'HeartbeatBeat')) {
      this.deps.logger.info({ heartbeat: monitor.name }, 'heartbeat back');
      await this.raise(monitor, 'resolved', at, missedAt);
    }
  }

  private async raise(monitor: Monitor, status: 'firing' | 'resolved', at: string, missedAt?: string): Promise<void> {
    const start = missedAt ?? monitor.state.missedAt;
    if (start === undefined) return;
    await this.deps.raise([heartbeatAlert(monitor.name, monitor.spec.labels, start, status, at)]);
  }

  /** Read, decide, append at the expected revision; on a conflict, read again and decide afresh. */
  private async execute(monitor: Monitor, command: HeartbeatCommand): Promise<HeartbeatEvent[]> {
    const stream = heartbeatStream(monitor.name);
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (attempt > 1) this.fold(await this.deps.store.readStream(stream, monitor.revision + 1));
      const decision = decideHeartbeat(command, monitor.state, monitor.timings);
      const events = decision.ok ? decision.value : [];
      if (events.length === 0) return [];
      const appended = await this.deps.store.append(
        stream,
        events.map((e) => ({ type: e.type, data: e.data })),
        monitor.revision < 0 ? 'no_stream' : monitor.revision,
      );
      if (!appended.ok) continue;
      for (const event of events) monitor.state = evolveHeartbeat(monitor.state, event);
      monitor.revision = appended.value.nextExpectedRevision;
      return events;
    }
    throw new Error(`heartbeat ${monitor.name}: gave up after ${MAX_ATTEMPTS} concurrent appends`);
  }

  private fold(batch: RecordedEvent[]): void {
    for (const recorded of batch) {
      const monitor = this.monitors.get(recorded.streamId.slice(HEARTBEAT_STREAM_PREFIX.length));
      if (!monitor || recorded.revision <= monitor.revision) continue;
      const parsed = heartbeatEventSchema.safeParse({ type: recorded.type, data: recorded.data });
      if (parsed.success) monitor.state = evolveHeartbeat(monitor.state, parsed.data);
      monitor.revision = recorded.revision;
    }
  }
}
