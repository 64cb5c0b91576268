import {
  compileMatcher,
  decideHeartbeat,
  decideHeartbeatMonitor,
  evolveHeartbeat,
  evolveHeartbeatMonitors,
  HEARTBEAT_MONITORS_STREAM,
  HEARTBEAT_STREAM_PREFIX,
  heartbeatAlert,
  heartbeatDueAt,
  heartbeatEventSchema,
  heartbeatMonitorEventSchema,
  heartbeatStream,
  initialHeartbeatMonitors,
  initialHeartbeatState,
  instantMs,
  toInstant,
  type Actor,
  type AlertReceived,
  type ApiHeartbeatMonitor,
  type HeartbeatCommand,
  type HeartbeatEvent,
  type HeartbeatMonitorCommand,
  type HeartbeatMonitorError,
  type HeartbeatMonitorsState,
  type HeartbeatState,
  type HeartbeatTimings,
  type LabelMatcher,
  type Labels,
  type Result,
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
  /** The integrations a monitor made through the API may watch (klaxon.yaml's, as reloaded). */
  integrations?: () => ReadonlySet<string>;
  /** Counts a beat of a name no monitor has (a typo in a cron job's URL, or a monitor removed). */
  onUnknownBeat?: () => void;
}

export interface HeartbeatView {
  name: string;
  state: 'ok' | 'missed';
  lastBeatAt: string | null;
  dueAt: string | null;
  /** Where the monitor is kept: klaxon.yaml, or the stream `heartbeats` (made through the API). */
  source: 'config' | 'api';
}

/** A monitor to add through the API, as `POST /api/v1/heartbeats` takes it. */
export type NewHeartbeatMonitor = Omit<
  Extract<HeartbeatMonitorCommand, { type: 'AddHeartbeatMonitor' }>,
  'type' | 'actor' | 'at'
>;

interface Monitor {
  name: string;
  source: HeartbeatView['source'];
  /**
   * For a monitor made through the API, the store position of its `HeartbeatMonitorAdded`: what its stream
   * holds from before (a monitor of that name removed earlier) is another monitor's past, not its own.
   */
  since?: bigint;
  spec: HeartbeatSpec;
  timings: HeartbeatTimings;
  matcher?: LabelMatcher;
  state: HeartbeatState;
  /** Revision of the last event folded into `state`; -1 before the stream exists. */
  revision: number;
}

const MAX_ATTEMPTS = 8;

/** Both the stream `heartbeats` and every monitor's `heartbeat-<name>`, in the store's one order. */
const FOLLOWED_PREFIX = 'heartbeat';

/**
 * Heartbeat monitors, their state only what their streams say (`heartbeat-<name>`), followed through the
 * store so a beat any instance wrote counts everywhere. A miss is decided against the stream at its expected
 * revision: two instances checking at once write it once, and only the writer raises the alert. A monitor
 * overdue while Klaxon was down is missed at the first check after start, once.
 */
export class HeartbeatMonitors {
  private readonly monitors = new Map<string, Monitor>();
  /** The monitors made through the API, as the stream `heartbeats` says. */
  private made: HeartbeatMonitorsState = initialHeartbeatMonitors();
  private madeRevision = -1;
  private subscription: Subscription | undefined;
  private loop: { stop(): void } | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private live = false;

  /**
   * The monitors of klaxon.yaml as last applied: a copy, since a reload changes the running configuration's
   * objects in place and the difference is what `reconfigure` acts on.
   */
  private specs: Record<string, HeartbeatSpec>;

  constructor(private readonly deps: HeartbeatMonitorsDeps) {
    this.specs = structuredClone(deps.specs);
    for (const [name, spec] of Object.entries(this.specs)) this.monitors.set(name, monitorOf(name, spec, 'config'));
  }

  /**
   * A reload's monitors of klaxon.yaml: a new one is followed from its stream and armed; a changed one keeps
   * its state under its new timings; a removed one stops, its miss still running resolved, unless one of the
   * same name was made through the API, which then takes its place.
   */
  async reconfigure(running: Record<string, HeartbeatSpec>): Promise<void> {
    const before = this.specs;
    const specs = structuredClone(running);
    this.specs = specs;
    const at = this.now();
    for (const [name, spec] of Object.entries(specs)) {
      const current = this.monitors.get(name);
      if (current?.source === 'config' && JSON.stringify(before[name]) === JSON.stringify(spec)) continue;
      const monitor = monitorOf(name, spec, 'config');
      if (current) Object.assign(monitor, { state: current.state, revision: current.revision, since: current.since });
      this.monitors.set(name, monitor);
      if (!current) this.fold(await this.deps.store.readStream(`${HEARTBEAT_STREAM_PREFIX}${name}`));
      if (this.live && monitor.state.armedAt === undefined && this.deps.owns(name))
        await this.execute(monitor, { type: 'Arm', at });
    }
    for (const name of Object.keys(before)) {
      const monitor = this.monitors.get(name);
      if (name in specs || monitor?.source !== 'config') continue;
      const made = this.made.get(name);
      if (made) {
        const api = monitorOf(name, specOf(made), 'api');
        this.monitors.set(name, Object.assign(api, { state: monitor.state, revision: monitor.revision }));
        continue;
      }
      this.monitors.delete(name);
      if (monitor.state.missedAt !== undefined && this.deps.owns(name))
        await this.raise(monitor, 'resolved', at, monitor.state.missedAt);
    }
  }

  /** Follows the streams, arms monitors that never beat, and raises again a miss whose alert may have been lost. */
  async start(): Promise<void> {
    this.subscription = this.deps.store.subscribe({
      streamPrefix: FOLLOWED_PREFIX,
      onEvents: (batch) => this.follow(batch),
      onError: (error) => this.deps.logger.error({ err: error }, 'stopped following heartbeat streams'),
    });
    await this.subscription.caughtUp();
    this.live = true;
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

  /**
   * A beat of a named monitor (`POST /api/v1/heartbeats/:name` through ingest). Ingest takes any well-formed
   * name, as it cannot know the monitors made through the API: a name with no monitor is dropped here,
   * counted and logged, so a typo shows.
   */
  async beat(name: string, at: string): Promise<void> {
    const monitor = this.monitors.get(name);
    if (!monitor) {
      this.deps.onUnknownBeat?.();
      return void this.deps.logger.warn({ heartbeat: name }, 'a beat of an unknown heartbeat: ignored');
    }
    await this.beatOf(monitor, at);
  }

  /** Adds a monitor through the API (`HeartbeatMonitorAdded` on the stream `heartbeats`) and arms it. */
  async add(monitor: NewHeartbeatMonitor, actor: Actor): Promise<Result<HeartbeatView, HeartbeatMonitorError>> {
    const decided = await this.decide({ type: 'AddHeartbeatMonitor', ...monitor, actor, at: this.now() });
    if (!decided.ok) return decided;
    const added = this.monitors.get(monitor.name);
    if (!added) throw new Error(`heartbeat ${monitor.name}: added, yet not followed`);
    await this.execute(added, { type: 'Arm', at: this.now() });
    return { ok: true, value: viewOf(added) };
  }

  /**
   * Removes a monitor made through the API: its misses stop on every instance. A miss still running is
   * resolved, as nothing will beat it again.
   */
  async remove(name: string, actor: Actor): Promise<Result<void, HeartbeatMonitorError>> {
    const removed = this.monitors.get(name);
    const decided = await this.decide({ type: 'RemoveHeartbeatMonitor', name, actor, at: this.now() });
    if (!decided.ok) return decided;
    if (removed?.state.missedAt !== undefined)
      await this.raise(removed, 'resolved', this.now(), removed.state.missedAt);
    return { ok: true, value: undefined };
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
    return [...this.monitors.values()].map(viewOf);
  }

  private now(): string {
    return toInstant(this.deps.clock.now());
  }

  /** Decides on the stream `heartbeats` as stored, appends at its revision, and follows what it wrote at once. */
  private async decide(command: HeartbeatMonitorCommand): Promise<Result<void, HeartbeatMonitorError>> {
    const context = {
      configured: new Set(Object.keys(this.specs)),
      integrations: this.deps.integrations?.() ?? new Set<string>(),
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await this.follow(await this.deps.store.readStream(HEARTBEAT_MONITORS_STREAM, this.madeRevision + 1));
      const decided = decideHeartbeatMonitor(command, this.made, context);
      if (!decided.ok) return decided;
      const appended = await this.deps.store.append(
        HEARTBEAT_MONITORS_STREAM,
        decided.value.map((e) => ({ type: e.type, data: e.data })),
        this.madeRevision < 0 ? 'no_stream' : this.madeRevision,
      );
      if (!appended.ok) continue;
      await this.follow(await this.deps.store.readStream(HEARTBEAT_MONITORS_STREAM, this.madeRevision + 1));
      return { ok: true, value: undefined };
    }
    throw new Error(`${HEARTBEAT_MONITORS_STREAM}: gave up after ${MAX_ATTEMPTS} concurrent appends`);
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

  /** Monitors made or removed through the API, then the monitors' own streams, in the store's order. */
  private async follow(batch: RecordedEvent[]): Promise<void> {
    for (const recorded of batch) {
      if (recorded.streamId === HEARTBEAT_MONITORS_STREAM) await this.followMade(recorded);
      else if (recorded.streamId.startsWith(HEARTBEAT_STREAM_PREFIX)) this.fold([recorded]);
    }
  }

  private async followMade(recorded: RecordedEvent): Promise<void> {
    if (recorded.revision <= this.madeRevision) return;
    this.madeRevision = recorded.revision;
    const parsed = heartbeatMonitorEventSchema.safeParse({ type: recorded.type, data: recorded.data });
    if (!parsed.success) return;
    this.made = evolveHeartbeatMonitors(this.made, parsed.data);
    const { name } = parsed.data.data;
    // A monitor of klaxon.yaml wins over one of the same name made before a reload added it there.
    if (this.monitors.get(name)?.source === 'config') return;
    if (parsed.data.type === 'HeartbeatMonitorRemoved') return void this.monitors.delete(name);
    const made = this.made.get(name)!;
    const monitor = { ...monitorOf(name, specOf(made), 'api'), since: recorded.position };
    this.monitors.set(name, monitor);
    // Armed where it was added; armed here too in case that instance died in between (the store keeps it once).
    if (this.live && this.deps.owns(name)) await this.execute(monitor, { type: 'Arm', at: this.now() });
  }

  private fold(batch: RecordedEvent[]): void {
    for (const recorded of batch) {
      const monitor = this.monitors.get(recorded.streamId.slice(HEARTBEAT_STREAM_PREFIX.length));
      if (!monitor || recorded.revision <= monitor.revision) continue;
      monitor.revision = recorded.revision;
      if (monitor.since !== undefined && recorded.position < monitor.since) continue;
      const parsed = heartbeatEventSchema.safeParse({ type: recorded.type, data: recorded.data });
      if (parsed.success) monitor.state = evolveHeartbeat(monitor.state, parsed.data);
    }
  }
}

const specOf = (made: ApiHeartbeatMonitor): HeartbeatSpec => ({
  interval: made.intervalMs,
  grace: made.graceMs,
  labels: made.labels,
  ...(made.match ? { match: made.match } : {}),
  ...(made.integration !== undefined ? { integration: made.integration } : {}),
});

function monitorOf(name: string, spec: HeartbeatSpec, source: Monitor['source']): Monitor {
  const compiled = spec.match ? compileMatcher(spec.match) : undefined;
  if (compiled && !compiled.ok) throw new Error(`heartbeat ${name}: bad matcher on ${compiled.error.label}`);
  return {
    name,
    source,
    spec,
    timings: { intervalMs: spec.interval, graceMs: spec.grace },
    ...(compiled?.ok ? { matcher: compiled.value } : {}),
    state: initialHeartbeatState(),
    revision: -1,
  };
}

const viewOf = ({ name, state, timings, source }: Monitor): HeartbeatView => ({
  name,
  state: state.missedAt === undefined ? 'ok' : 'missed',
  lastBeatAt: state.lastBeatAt ?? null,
  dueAt: heartbeatDueAt(state, timings) ?? null,
  source,
});
