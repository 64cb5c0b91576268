import type { WebhookEventType } from '@klaxon/config';
import { INCIDENT_STREAM_PREFIX, type Actor } from '@klaxon/domain';
import type { EventStore, RecordedEvent } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { StepResult } from '../followers/follow-loop.ts';
import { IncidentFolds } from '../followers/incident-folds.ts';
import { StoreFollower, type FollowerWork, type Taken } from '../followers/store-follower.ts';
import { incidentMessage, SCHEDULE_STREAM_PREFIX, scheduleMessage, type WebhookMessage } from './webhook-messages.ts';
import type { SendOutcome } from './webhook-sender.ts';
import {
  keptData,
  positionOf,
  webhookKeptEventSchema,
  webhookStream,
  type WebhookKeptEvent,
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
  /** This instance's name in the delivery lease. */
  holder?: string;
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
 * Delivers one webhook's messages by following the event store (a `StoreFollower` keeping its position in
 * `webhook-<name>`), one message at a time in the store's order, so each incident's messages arrive in order. A
 * message that fails is tried again with backoff and holds those behind it; once the receiver has taken
 * nothing for a day, each message gets one attempt and is dead-lettered (recorded, counted) if it fails.
 * A crash between a delivery and its checkpoint delivers it again: at least once, same `webhook-id`.
 */
export class WebhookDeliverer implements FollowerWork<WebhookKeptEvent> {
  readonly schema = webhookKeptEventSchema;
  private readonly follower: StoreFollower<WebhookKeptEvent>;
  private readonly folds: IncidentFolds;
  private readonly wanted: ReadonlySet<string>;
  /** Since when every attempt has failed; absent while the receiver takes deliveries. */
  private failingSince: string | undefined;
  private retryAt: Date | undefined;
  private attempts = 0;
  private lastError: string | undefined;
  private deadLettered = 0;
  private pending: { position: bigint; message: WebhookMessage | undefined } | undefined;

  constructor(private readonly deps: WebhookDelivererDeps) {
    this.folds = new IncidentFolds(deps.store);
    this.wanted = new Set(deps.events);
    this.follower = new StoreFollower(this, {
      store: deps.store,
      streamId: webhookStream(deps.name),
      clock: deps.clock,
      logger: deps.logger.child({ webhook: deps.name }),
      what: 'a webhook step',
      pollMs: deps.pollMs,
      batchSize: deps.batchSize,
      keepEvery: KEEP_EVERY,
      holder: deps.holder,
    });
  }

  get name(): string {
    return this.deps.name;
  }

  status(): WebhookStatus {
    return {
      name: this.deps.name,
      position: this.follower.position?.toString() ?? null,
      failingSince: this.failingSince ?? null,
      nextAttemptAt: this.retryAt?.toISOString() ?? null,
      lastError: this.lastError ?? null,
      deadLettered: this.deadLettered,
    };
  }

  /**
   * Reads where it got to. A webhook new to this store starts at the present (its receiver does not want the
   * whole history at once); a replay reaches further back.
   */
  prepare(): Promise<void> {
    return this.follower.prepare();
  }

  /** Delivers what is due now: a batch of the store, or the message waiting for its next attempt. */
  step(): Promise<StepResult> {
    return this.follower.step();
  }

  /** Steps until nothing is due now; what the last step said. */
  drain(): Promise<StepResult> {
    return this.follower.drain();
  }

  /**
   * A replay: delivery starts again with the first event recorded at or after `from`. Written to the
   * webhook's stream, so whichever instance delivers reads it, and a restart goes on from there.
   */
  async rewind(from: string, actor: Actor): Promise<{ position: string | null }> {
    const position = await positionBefore(this.deps.store, from);
    const at = this.deps.clock.now().toISOString();
    const data = { ...keptData({ position }), from, actor, at };
    await this.deps.store.append(this.follower.streamId, [{ type: 'WebhookRewound', data }], 'any');
    this.deps.logger.info({ webhook: this.deps.name, from, position: data.position, actor }, 'webhook replay asked');
    this.follower.wake();
    return { position: data.position ?? null };
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  // Followers' own streams (this one's checkpoints among them) move nothing: writing a checkpoint for
  // passing a checkpoint would never end.
  follows = followed;

  waitingUntil(): Date | undefined {
    return this.retryAt;
  }

  checkpoint(position: bigint | undefined): WebhookKeptEvent {
    return { type: 'WebhookCheckpointed', data: keptData({ position, failingSince: this.failingSince }) };
  }

  /** The last fact written holds the whole state: a replay, another instance's progress or dead letters. */
  readKept(events: WebhookKeptEvent[]): { position: bigint | undefined } {
    this.deadLettered += events.filter((e) => e.type === 'WebhookDeadLettered').length;
    const state = positionOf(events.at(-1)!);
    this.failingSince = state.failingSince;
    this.pending = undefined;
    this.retryAt = undefined;
    this.attempts = 0;
    return state;
  }

  async take(record: RecordedEvent): Promise<Taken> {
    const message = await this.messageOf(record);
    if (!message) return 'passed';
    const outcome = await this.deps.send(message);
    if (outcome.ok) {
      this.deps.deliveries.inc({ webhook: this.deps.name, outcome: 'delivered' });
      this.delivered();
      return 'sent';
    }
    this.deps.deliveries.inc({ webhook: this.deps.name, outcome: 'failed' });
    const retryAt = await this.failed(message, outcome.error);
    return retryAt ? { retryAt } : 'passed';
  }

  private async messageOf(record: RecordedEvent): Promise<WebhookMessage | undefined> {
    if (this.pending?.position === record.position) return this.pending.message;
    const folded = await this.folds.fold(record);
    const message = folded ? incidentMessage(record, folded, this.deps.publicUrl) : scheduleMessage(record);
    const wanted = message && this.wanted.has(message.body.type) ? message : undefined;
    this.pending = { position: record.position, message: wanted };
    return wanted;
  }

  private delivered(): void {
    if (this.failingSince)
      this.deps.logger.info(
        { webhook: this.deps.name, failingSince: this.failingSince },
        'webhook receiver takes deliveries again',
      );
    this.failingSince = undefined;
    this.retryAt = undefined;
    this.attempts = 0;
    this.lastError = undefined;
  }

  /** The next attempt's time, or undefined when the message was dead-lettered and the batch goes on. */
  private async failed(message: WebhookMessage, error: string): Promise<Date | undefined> {
    const now = this.deps.clock.now();
    const failingSince = this.failingSince ?? now.toISOString();
    this.attempts++;
    this.lastError = error;
    const log = { webhook: this.deps.name, messageId: message.id, type: message.body.type, error };
    if (now.getTime() - Date.parse(failingSince) >= GIVE_UP_AFTER_MS) {
      const data = {
        ...keptData({ position: this.pending!.position, failingSince }),
        messageId: message.id,
        eventType: message.body.type,
        ...(message.incidentId ? { incidentId: message.incidentId } : {}),
        attempts: this.attempts,
        lastError: error,
        at: now.toISOString(),
      };
      if (!(await this.follower.write({ type: 'WebhookDeadLettered', data }))) return this.deps.clock.now();
      this.deps.deadLetters.inc({ webhook: this.deps.name });
      this.deadLettered++;
      this.deps.logger.error(
        { ...log, failingSince },
        'webhook message dead-lettered: the receiver took nothing for a day',
      );
      this.failingSince = failingSince;
      this.attempts = 0;
      return undefined;
    }
    this.failingSince = failingSince;
    // The last attempt falls on the day's end, not an hour past it.
    const backoff = BACKOFF_MS[Math.min(this.attempts, BACKOFF_MS.length) - 1]!;
    this.retryAt = new Date(Math.min(now.getTime() + backoff, Date.parse(failingSince) + GIVE_UP_AFTER_MS));
    this.deps.logger.warn({ ...log, attempt: this.attempts, retryAt: this.retryAt }, 'webhook delivery failed');
    return this.retryAt;
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
