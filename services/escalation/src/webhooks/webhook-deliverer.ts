import type { WebhookEventType } from '@klaxon/config';
import { INCIDENT_STREAM_PREFIX, type Actor } from '@klaxon/domain';
import type { EventStore, RecordedEvent } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import { followLoop, type FollowLoop, type StepResult } from '../followers/follow-loop.ts';
import { IncidentFolds } from '../followers/incident-folds.ts';
import { KeptStream } from '../followers/kept-stream.ts';
import { incidentMessage, SCHEDULE_STREAM_PREFIX, scheduleMessage, type WebhookMessage } from './webhook-messages.ts';
import type { SendOutcome } from './webhook-sender.ts';
import {
  keptData,
  positionOf,
  webhookKeptEventSchema,
  webhookStream,
  type WebhookKeptEvent,
  type WebhookPosition,
} from './webhook-stream.ts';

const SECOND = 1000;
const HOUR = 3_600_000;
/** Pauses after the first, second, … failed attempt; the last one repeats. */
const BACKOFF_MS = [5 * SECOND, 30 * SECOND, 2 * 60 * SECOND, 10 * 60 * SECOND, 30 * 60 * SECOND, HOUR];
/** A receiver that has taken nothing for this long gets its messages dead-lettered, one attempt each. */
export const GIVE_UP_AFTER_MS = 24 * HOUR;
/** Deliveries between two checkpoints within a batch. */
const KEEP_EVERY = 20;

export interface WebhookDelivererDeps {
  name: string;
  events: readonly WebhookEventType[];
  store: EventStore;
  send: (message: WebhookMessage) => Promise<SendOutcome>;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  deliveries: Counter<'webhook' | 'outcome'>;
  deadLetters: Counter<'webhook'>;
  batchSize?: number;
  pollMs?: number;
}

export interface WebhookStatus {
  name: string;
  position: string | null;
  failingSince: string | null;
  nextAttemptAt: string | null;
  lastError: string | null;
  deadLettered: number;
}

/**
 * Delivers one webhook's messages by following the event store from the position it keeps in its own
 * stream, one message at a time in the store's order, so each incident's messages arrive in order. A
 * message that fails is tried again with backoff and holds those behind it; once the receiver has taken
 * nothing for a day, each message gets one attempt and is dead-lettered (recorded, counted) if it fails.
 * A crash between a delivery and its checkpoint delivers it again: at least once, same `webhook-id`.
 */
export class WebhookDeliverer {
  private readonly kept: KeptStream<WebhookKeptEvent>;
  private readonly folds: IncidentFolds;
  private readonly wanted: ReadonlySet<string>;
  private state: WebhookPosition = { position: undefined };
  private keptState: WebhookPosition = { position: undefined };
  private retryAt: Date | undefined;
  private attempts = 0;
  private lastError: string | undefined;
  private deadLettered = 0;
  private pending: { position: bigint; message: WebhookMessage | undefined } | undefined;
  /** How far this instance has read, past the events it follows too; absent: from the kept position. */
  private scanned: bigint | undefined;
  private sinceKept = 0;
  private readonly loop: FollowLoop;

  constructor(private readonly deps: WebhookDelivererDeps) {
    this.kept = new KeptStream(deps.store, webhookStream(deps.name), webhookKeptEventSchema);
    this.folds = new IncidentFolds(deps.store);
    this.wanted = new Set(deps.events);
    this.loop = followLoop(() => this.step(), {
      pollMs: deps.pollMs ?? 500,
      clock: deps.clock,
      logger: deps.logger.child({ webhook: deps.name }),
      what: 'a webhook step',
    });
  }

  get name(): string {
    return this.deps.name;
  }

  status(): WebhookStatus {
    return {
      name: this.deps.name,
      position: this.state.position?.toString() ?? null,
      failingSince: this.state.failingSince ?? null,
      nextAttemptAt: this.retryAt?.toISOString() ?? null,
      lastError: this.lastError ?? null,
      deadLettered: this.deadLettered,
    };
  }

  /**
   * Reads where it got to. A webhook new to this store starts at the present (its receiver does not want the
   * whole history at once); a replay reaches further back.
   */
  async prepare(): Promise<void> {
    await this.refresh();
    if (this.kept.exists) return;
    this.state = { position: await this.deps.store.headPosition() };
    await this.write({ type: 'WebhookCheckpointed', data: keptData(this.state) });
  }

  /** Delivers what is due now: a batch of the store, or the message waiting for its next attempt. */
  async step(): Promise<StepResult> {
    try {
      return await this.follow();
    } catch (error) {
      // What was read past but not done is read again, from the kept position.
      this.scanned = undefined;
      throw error;
    }
  }

  private async follow(): Promise<StepResult> {
    await this.prepare();
    const now = this.deps.clock.now();
    if (this.retryAt && now < this.retryAt) return { retryAt: this.retryAt };
    const limit = this.deps.batchSize ?? 200;
    const batch = await this.deps.store.readAll({ after: this.scanned ?? this.state.position, limit });
    let handled = false;
    for (const record of batch) {
      this.scanned = record.position;
      // Followers' own streams (this one's checkpoints among them) move nothing: writing a checkpoint for
      // passing a checkpoint would never end.
      if (!followed(record)) continue;
      handled = true;
      const message = await this.messageOf(record);
      if (!message) {
        this.state = { ...this.state, position: record.position };
        continue;
      }
      const outcome = await this.deps.send(message);
      if (outcome.ok) {
        this.deps.deliveries.inc({ webhook: this.deps.name, outcome: 'delivered' });
        this.delivered(record.position);
        // A crash delivers again what came after the last checkpoint: keep that short.
        if (++this.sinceKept >= KEEP_EVERY) await this.keep();
        continue;
      }
      this.deps.deliveries.inc({ webhook: this.deps.name, outcome: 'failed' });
      const retryAt = await this.failed(record, message, outcome.error);
      if (retryAt) {
        this.scanned = undefined;
        return { retryAt };
      }
    }
    await this.keep();
    return handled || batch.length === limit ? 'progress' : 'idle';
  }

  /** Steps until nothing is due now; what the last step said. */
  async drain(): Promise<StepResult> {
    for (;;) {
      const result = await this.step();
      if (result !== 'progress') return result;
    }
  }

  /**
   * A replay: delivery starts again with the first event recorded at or after `from`. Written to the
   * webhook's stream, so whichever instance delivers reads it, and a restart goes on from there.
   */
  async rewind(from: string, actor: Actor): Promise<{ position: string | null }> {
    const position = await positionBefore(this.deps.store, from);
    const at = this.deps.clock.now().toISOString();
    const data = { ...keptData({ position }), from, actor, at };
    await this.deps.store.append(this.kept.streamId, [{ type: 'WebhookRewound', data }], 'any');
    this.deps.logger.info({ webhook: this.deps.name, from, position: data.position, actor }, 'webhook replay asked');
    this.loop.wake();
    return { position: data.position ?? null };
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async messageOf(record: RecordedEvent): Promise<WebhookMessage | undefined> {
    if (this.pending?.position === record.position) return this.pending.message;
    const folded = await this.folds.fold(record);
    const message = folded ? incidentMessage(record, folded, this.deps.publicUrl) : scheduleMessage(record);
    const wanted = message && this.wanted.has(message.body.type) ? message : undefined;
    this.pending = { position: record.position, message: wanted };
    return wanted;
  }

  private delivered(position: bigint): void {
    if (this.state.failingSince)
      this.deps.logger.info(
        { webhook: this.deps.name, failingSince: this.state.failingSince },
        'webhook receiver takes deliveries again',
      );
    this.state = { position };
    this.retryAt = undefined;
    this.attempts = 0;
    this.lastError = undefined;
  }

  /** The next attempt's time, or undefined when the message was dead-lettered and the batch goes on. */
  private async failed(record: RecordedEvent, message: WebhookMessage, error: string): Promise<Date | undefined> {
    const now = this.deps.clock.now();
    const failingSince = this.state.failingSince ?? now.toISOString();
    this.attempts++;
    this.lastError = error;
    const log = { webhook: this.deps.name, messageId: message.id, type: message.body.type, error };
    if (now.getTime() - Date.parse(failingSince) >= GIVE_UP_AFTER_MS) {
      const data = {
        ...keptData({ position: record.position, failingSince }),
        messageId: message.id,
        eventType: message.body.type,
        ...(message.incidentId ? { incidentId: message.incidentId } : {}),
        attempts: this.attempts,
        lastError: error,
        at: now.toISOString(),
      };
      if (!(await this.write({ type: 'WebhookDeadLettered', data }))) return this.deps.clock.now();
      this.deps.deadLetters.inc({ webhook: this.deps.name });
      this.deadLettered++;
      this.deps.logger.error(
        { ...log, failingSince },
        'webhook message dead-lettered: the receiver took nothing for a day',
      );
      this.state = { position: record.position, failingSince };
      this.attempts = 0;
      return undefined;
    }
    this.state = { ...this.state, failingSince };
    // The last attempt falls on the day's end, not an hour past it.
    const backoff = BACKOFF_MS[Math.min(this.attempts, BACKOFF_MS.length) - 1]!;
    this.retryAt = new Date(Math.min(now.getTime() + backoff, Date.parse(failingSince) + GIVE_UP_AFTER_MS));
    this.deps.logger.warn({ ...log, attempt: this.attempts, retryAt: this.retryAt }, 'webhook delivery failed');
    await this.keep();
    return this.retryAt;
  }

  /** Writes down the position when it moved (or the failing time changed) since it was last written. */
  private async keep(): Promise<void> {
    const { position, failingSince } = this.state;
    if (position === this.keptState.position && failingSince === this.keptState.failingSince) return;
    this.sinceKept = 0;
    await this.write({ type: 'WebhookCheckpointed', data: keptData(this.state) });
  }

  /** False when someone else wrote first (a replay, another instance): their word is taken instead. */
  private async write(event: WebhookKeptEvent): Promise<boolean> {
    if (await this.kept.append([event])) {
      this.keptState = positionOf(event);
      return true;
    }
    await this.refresh();
    return false;
  }

  private async refresh(): Promise<void> {
    const news = await this.kept.readNew();
    if (news.length === 0) return;
    this.deadLettered += news.filter((e) => e.type === 'WebhookDeadLettered').length;
    this.state = this.keptState = positionOf(news.at(-1)!);
    this.pending = undefined;
    this.scanned = undefined;
    this.retryAt = undefined;
    this.attempts = 0;
  }
}

/** Incidents and schedules: what webhooks tell about. */
const followed = (record: RecordedEvent): boolean =>
  record.streamId.startsWith(INCIDENT_STREAM_PREFIX) || record.streamId.startsWith(SCHEDULE_STREAM_PREFIX);

/** The position just before the first event recorded at or after `from`: a replay delivers from there. */
async function positionBefore(store: EventStore, from: string): Promise<bigint | undefined> {
  const fromMs = Date.parse(from);
  let after: bigint | undefined;
  for (;;) {
    const batch = await store.readAll({ after, limit: 1000 });
    for (const record of batch) {
      if (Date.parse(record.recordedAt) >= fromMs) return after;
      after = record.position;
    }
    if (batch.length < 1000) return after;
  }
}
