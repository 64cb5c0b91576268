import type { WebClient } from '@slack/web-api';
import type { Incident } from '@klaxon/domain';
import { INCIDENT_STREAM_PREFIX } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import { followLoop, type FollowLoop, type StepResult } from '../followers/follow-loop.ts';
import { IncidentFolds } from '../followers/incident-folds.ts';
import { KeptStream } from '../followers/kept-stream.ts';
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
}

const positionData = (position: bigint | undefined) =>
  position === undefined ? {} : { position: position.toString() };

/** Events after which the message reads differently. */
const CHANGES = new Set(['Acknowledged', 'Escalated', 'Resolved', 'Reopened', 'SeverityChanged', 'PageRequested']);

/** Slack said no for good (no such channel, not invited, bad token): retrying would block the rest. */
const refusedForGood = (error: unknown) => (error as { code?: string }).code === 'slack_webapi_platform_error';

/**
 * Keeps each incident's Slack message as the incident stands, by following the event store from the
 * position it keeps in `chat-slack` (with every message's `ts`). An incident opening posts one message in
 * its channel; its changes in one batch become one `chat.update`; status updates go in its thread.
 * A crash after a post and before its record posts it again on restart: at least once.
 */
export class SlackFollower {
  private readonly kept: KeptStream<SlackKeptEvent>;
  private readonly folds: IncidentFolds;
  private readonly messages = new Map<string, { channel: string; ts: string }>();
  private position: bigint | undefined;
  private scanned: bigint | undefined;
  private readonly loop: FollowLoop;

  constructor(private readonly deps: SlackFollowerDeps) {
    this.kept = new KeptStream(deps.store, SLACK_STREAM, slackKeptEventSchema);
    this.folds = new IncidentFolds(deps.store);
    this.loop = followLoop(() => this.step(), {
      pollMs: deps.pollMs ?? 500,
      clock: deps.clock,
      logger: deps.logger,
      what: 'a Slack step',
    });
  }

  /** The message of an incident, once posted. */
  messageOf(incidentId: string): { channel: string; ts: string } | undefined {
    return this.messages.get(incidentId);
  }

  /** Reads where it got to. Set up on a Klaxon with history, it posts the incidents opened from now on only. */
  async prepare(): Promise<void> {
    await this.refresh();
    if (this.kept.exists) return;
    this.position = await this.deps.store.headPosition();
    await this.record({ type: 'SlackCheckpointed', data: positionData(this.position) });
  }

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
    const limit = 200;
    const batch = await this.deps.store.readAll({ after: this.scanned ?? this.position, limit });
    const toPost = new Map<string, { channel: string; state: Incident; position: bigint }>();
    const toUpdate = new Map<string, Incident>();
    let last: bigint | undefined;
    for (const record of batch) {
      this.scanned = record.position;
      if (!record.streamId.startsWith(INCIDENT_STREAM_PREFIX)) continue;
      last = record.position;
      const folded = await this.folds.fold(record);
      if (!folded || !folded.after.exists) continue;
      const { incidentId, event, after } = folded;
      if (event.type === 'IncidentOpened') {
        const channel = this.messages.has(incidentId) ? undefined : this.deps.channelOf(after);
        if (channel) toPost.set(incidentId, { channel, state: after, position: record.position });
        continue;
      }
      const waiting = toPost.get(incidentId);
      if (waiting) waiting.state = after;
      if (event.type === 'StatusUpdatePosted') {
        await this.post(toPost, incidentId);
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
      if (CHANGES.has(event.type) && this.messages.has(incidentId)) toUpdate.set(incidentId, after);
    }
    for (const incidentId of [...toPost.keys()]) await this.post(toPost, incidentId);
    for (const [incidentId, state] of toUpdate) {
      const message = this.messages.get(incidentId)!;
      await this.call('chat.update', () =>
        this.deps.client.chat.update({
          channel: message.channel,
          ts: message.ts,
          ...slackMessage(state, this.deps.publicUrl),
        }),
      );
    }
    if (last !== undefined) {
      this.position = last;
      await this.record({ type: 'SlackCheckpointed', data: positionData(last) });
    }
    return last !== undefined || batch.length === limit ? 'progress' : 'idle';
  }

  async drain(): Promise<void> {
    while ((await this.step()) === 'progress');
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async post(
    toPost: Map<string, { channel: string; state: Incident; position: bigint }>,
    incidentId: string,
  ): Promise<void> {
    const waiting = toPost.get(incidentId);
    if (!waiting) return;
    toPost.delete(incidentId);
    const answer = await this.call('chat.postMessage', () =>
      this.deps.client.chat.postMessage({
        channel: waiting.channel,
        ...slackMessage(waiting.state, this.deps.publicUrl),
      }),
    );
    if (!answer?.ts || !answer.channel) return;
    const data = { incidentId, channel: answer.channel, ts: answer.ts, position: waiting.position.toString() };
    this.messages.set(incidentId, { channel: answer.channel, ts: answer.ts });
    await this.record({ type: 'SlackMessagePosted', data });
  }

  /** Undefined when Slack refused for good (logged and counted); throws when it could not be reached. */
  private async call<T>(method: string, run: () => Promise<T>): Promise<T | undefined> {
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

  /** Written at the stream's revision; another writer's events are read first, and this one goes after. */
  private async record(event: SlackKeptEvent): Promise<void> {
    while (!(await this.kept.append([event]))) await this.refresh();
  }

  private async refresh(): Promise<void> {
    const news = await this.kept.readNew();
    for (const event of news) {
      if (event.type === 'SlackMessagePosted')
        this.messages.set(event.data.incidentId, { channel: event.data.channel, ts: event.data.ts });
      if (event.data.position === undefined) continue;
      const position = BigInt(event.data.position);
      if (this.position === undefined || position > this.position) {
        this.position = position;
        this.scanned = undefined;
      }
    }
  }
}
