import { randomUUID } from 'node:crypto';
import {
  isWindowCurrent,
  SILENCES_STREAM,
  suppressionAt,
  toInstant,
  windowEventSchema,
  windowsOf,
  type Actor,
  type Labels,
  type Maintenance,
  type QuietWindow,
  type Silence,
  type Suppression,
  type WindowEvent,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent, Subscription } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';

export type NewSilence = Pick<Silence, 'matchers' | 'start' | 'end' | 'comment'>;
export type NewMaintenance = Pick<Maintenance, 'matchers' | 'days' | 'from' | 'to' | 'timezone' | 'comment'>;

export type Expiry = { ok: true; window: QuietWindow } | { ok: false; error: 'not-found' | 'configured' };

/**
 * Silences and maintenance windows: those of klaxon.yaml and those made through the API, which are events
 * on the stream `silences` (with their author), followed through the store so every instance knows them.
 * Which window holds for an incident is the domain's answer (`suppressionAt`); this only keeps the list.
 */
export class QuietWindows {
  private events: WindowEvent[] = [];
  private folded: QuietWindow[] = [];
  private revision = -1;
  private subscription: Subscription | undefined;

  constructor(
    private readonly deps: {
      store: EventStore;
      configured: QuietWindow[];
      clock: Clock;
      logger: Logger;
      /** Told when a window is expired by hand, so incidents it kept quiet page now. */
      onExpired: (windowId: string) => Promise<void>;
    },
  ) {}

  async start(): Promise<void> {
    this.subscription = this.deps.store.subscribe({
      streamPrefix: SILENCES_STREAM,
      onEvents: (batch) => this.fold(batch),
      onError: (error) => this.deps.logger.error({ err: error }, 'stopped following silences in the store'),
    });
    await this.subscription.caughtUp();
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  all(): QuietWindow[] {
    return [...this.deps.configured, ...this.folded];
  }

  /** The window that keeps an incident with these labels quiet at `at`, if any. */
  suppression(labels: Labels, at: string): Suppression | undefined {
    return suppressionAt(this.all(), labels, at);
  }

  /** Windows that hold now or will: a silence not yet over, a weekly window not expired. */
  current(kind: QuietWindow['kind']): QuietWindow[] {
    const now = toInstant(this.deps.clock.now());
    return this.all().filter((w) => w.kind === kind && isWindowCurrent(w, now));
  }

  async addSilence(silence: NewSilence, actor: Actor): Promise<string> {
    const id = randomUUID();
    await this.append({ type: 'SilenceAdded', data: { id, ...silence, actor, at: toInstant(this.deps.clock.now()) } });
    return id;
  }

  async addMaintenance(window: NewMaintenance, actor: Actor): Promise<string> {
    const id = randomUUID();
    await this.append({
      type: 'MaintenanceAdded',
      data: { id, ...window, every: 'weekly', actor, at: toInstant(this.deps.clock.now()) },
    });
    return id;
  }

  async expire(id: string, kind: QuietWindow['kind'], actor: Actor): Promise<Expiry> {
    if (this.deps.configured.some((w) => w.id === id)) return { ok: false, error: 'configured' };
    const window = this.folded.find((w) => w.id === id && w.kind === kind);
    if (!window) return { ok: false, error: 'not-found' };
    if (window.expiredAt === undefined)
      await this.append({ type: 'WindowExpired', data: { id, actor, at: toInstant(this.deps.clock.now()) } });
    await this.deps.onExpired(id);
    return { ok: true, window: this.folded.find((w) => w.id === id)! };
  }

  private async append(event: WindowEvent): Promise<void> {
    const appended = await this.deps.store.append(SILENCES_STREAM, [{ type: event.type, data: event.data }], 'any');
    if (!appended.ok) throw new Error(`appending to ${SILENCES_STREAM} failed: ${appended.error.code}`);
    // Known here at once, with whatever another instance wrote before it, not only once the subscription brings it.
    this.fold(await this.deps.store.readStream(SILENCES_STREAM, this.revision + 1));
  }

  private fold(batch: RecordedEvent[]): void {
    let changed = false;
    for (const recorded of batch) {
      if (recorded.revision <= this.revision) continue;
      const parsed = windowEventSchema.safeParse({ type: recorded.type, data: recorded.data });
      if (parsed.success) this.events.push(parsed.data);
      this.revision = recorded.revision;
      changed = true;
    }
    if (changed) this.folded = windowsOf(this.events);
  }
}
