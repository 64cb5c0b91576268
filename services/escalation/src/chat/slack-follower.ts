import type { WebClient } from '@slack/web-api';
import type { Incident } from '@klaxon/domain';
import { INCIDENT_STREAM_PREFIX } from '@klaxon/domain';
import type { EventStore, RecordedEvent } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { StepResult } from '../followers/follow-loop.ts';
import { IncidentFolds } from '../followers/incident-folds.ts';
import { StoreFollower, type FollowerWork, type Taken } from '../followers/store-follower.ts';
import { slackMessage } from './slack-message.ts';
import { SLACK_STREAM, slackKeptEventSchema, type SlackKeptEvent } from './slack-stream.ts';

export interface SlackFollowerDeps {
  store: EventStore;
  client: WebClient;
  channelOf: (incident: Incident) => string | undefined;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  calls: Counter<'method' | 'outcome'>;
  pollMs?: number;
  /** This instance's name in the follower's lease. */
  holder?: string;
}

const positionData = (position: bigint | undefined) =>
  position === undefined ? {} : { position: position.toString() };

/** Events after which the message reads differently. */
const CHANGES = new Set(['Acknowledged', 'Escalated', 'Resolved', 'Reopened', 'SeverityChanged', 'PageRequested']);

/** Slack said no for good (no such channel, not invited, bad token): retrying would block the rest. */
const refusedForGood = (error: unknown) => (error as { code?: string }).code === 'slack_webapi_platform_error';

/**
 * Keeps each incident's Slack message as the incident stands, by following the event store (a
 * `StoreFollower` keeping its position in `chat-slack`, with every message's `ts`). An incident opening posts
 * one message in its channel; its changes in one batch become one `chat.update`; status updates go in its
 * thread. A crash after a post and before its record posts it again on restart: at least once.
 */
export class SlackFollower implements FollowerWork<SlackKeptEvent> {
  readonly schema = slackKeptEventSchema;
  private readonly follower: StoreFollower<SlackKeptEvent>;
  private readonly folds: IncidentFolds;
  private readonly messages = new Map<string, { channel: string; ts: string }>();
  private toPost = new Map<string, { channel: string; state: Incident; position: bigint }>();
  private toUpdate = new Map<string, Incident>();

  constructor(private readonly deps: SlackFollowerDeps) {
    this.folds = new IncidentFolds(deps.store);
    this.follower = new StoreFollower(this, {
      store: deps.store,
      streamId: SLACK_STREAM,
      clock: deps.clock,
      logger: deps.logger,
      what: 'a Slack step',
      pollMs: deps.pollMs,
      holder: deps.holder,
    });
  }

  /** The message of an incident, once posted. */
  messageOf(incidentId: string): { channel: string; ts: string } | undefined {
    return this.messages.get(incidentId);
  }

  /** Reads where it got to. Set up on a Klaxon with history, it posts the incidents opened from now on only. */
  prepare(): Promise<void> {
    return this.follower.prepare();
  }

  step(): Promise<StepResult> {
    return this.follower.step();
  }

  async drain(): Promise<void> {
    await this.follower.drain();
  }

  start(): void {
    this.follower.start();
  }

  stop(): Promise<void> {
    return this.follower.stop();
  }

  follows(record: RecordedEvent): boolean {
    return record.streamId.startsWith(INCIDENT_STREAM_PREFIX);
  }

  checkpoint(position: bigint | undefined): SlackKeptEvent {
    return { type: 'SlackCheckpointed', data: positionData(position) };
  }

  /** Messages posted elsewhere are updated from here on; the position only moves forward. */
  readKept(events: SlackKeptEvent[], current: bigint | undefined): { position: bigint | undefined } | undefined {
    let furthest = current;
    for (const event of events) {
      if (event.type === 'SlackMessagePosted')
        this.messages.set(event.data.incidentId, { channel: event.data.channel, ts: event.data.ts });
      if (event.data.position === undefined) continue;
      const position = BigInt(event.data.position);
      if (furthest === undefined || position > furthest) furthest = position;
    }
    return furthest === current ? undefined : { position: furthest };
  }

  beginBatch(): void {
    this.toPost = new Map();
    this.toUpdate = new Map();
  }

  async take(record: RecordedEvent): Promise<Taken> {
    const folded = await this.folds.fold(record);
    if (!folded || !folded.after.exists) return 'batched';
    const { incidentId, event, after } = folded;
    if (event.type === 'IncidentOpened') {
      const channel = this.messages.has(incidentId) ? undefined : this.deps.channelOf(after);
      if (channel) this.toPost.set(incidentId, { channel, state: after, position: record.position });
      return 'batched';
    }
    const waiting = this.toPost.get(incidentId);
    if (waiting) waiting.state = after;
    if (event.type === 'StatusUpdatePosted') {
      await this.post(incidentId);
      const message = this.messages.get(incidentId);
      if (message)
        await this.call('chat.postMessage', () =>
          this.deps.client.chat.postMessage({
            channel: message.channel,
            thread_ts: message.ts,
            text: `Status update from ${event.data.by}: ${event.data.text}`,
          }),
        );
    }
    if (CHANGES.has(event.type) && this.messages.has(incidentId)) this.toUpdate.set(incidentId, after);
    return 'batched';
  }

  async endOfBatch(): Promise<void> {
    for (const incidentId of [...this.toPost.keys()]) await this.post(incidentId);
    for (const [incidentId, state] of this.toUpdate) {
      const message = this.messages.get(incidentId)!;
      await this.call('chat.update', () =>
        this.deps.client.chat.update({
          channel: message.channel,
          ts: message.ts,
          ...slackMessage(state, this.deps.publicUrl),
        }),
      );
    }
  }

  private async post(incidentId: string): Promise<void> {
    const waiting = this.toPost.get(incidentId);
    if (!waiting) return;
    this.toPost.delete(incidentId);
    const answer = await this.call('chat.postMessage', () =>
      this.deps.client.chat.postMessage({
        channel: waiting.channel,
        ...slackMessage(waiting.state, this.deps.publicUrl),
      }),
    );
    if (!answer?.ts || !answer.channel) return;
    const data = { incidentId, channel: answer.channel, ts: answer.ts, position: waiting.position.toString() };
    this.messages.set(incidentId, { channel: answer.channel, ts: answer.ts });
    await this.follower.record({ type: 'SlackMessagePosted', data });
  }

  /** Undefined when Slack refused for good (logged and counted); throws when it could not be reached. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T | undefined> {
    // A storm's batch makes many calls: the lease must outlast them, or another instance would repeat them.
    await this.follower.renew();
    try {
      const answer = await run();
      this.deps.calls.inc({ method, outcome: 'ok' });
      return answer;
    } catch (error) {
      if (!refusedForGood(error)) {
        this.deps.calls.inc({ method, outcome: 'retried' });
        throw error;
      }
      this.deps.calls.inc({ method, outcome: 'refused' });
      this.deps.logger.error({ err: error, method }, 'Slack refused a call; going on without it');
      return undefined;
    }
  }
}
