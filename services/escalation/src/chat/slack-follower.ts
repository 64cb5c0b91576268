import type { WebClient } from '@slack/web-api';
import {
  evolve,
  incidentEventSchema,
  initialState,
  INCIDENT_STREAM_PREFIX,
  type Incident,
  type IncidentStatus,
} from '@klaxon/domain';
import type { EventStore, RecordedEvent } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import type { StepResult } from '../followers/follow-loop.ts';
import { IncidentFolds } from '../followers/incident-folds.ts';
import { StoreFollower, type FollowerWork, type Taken } from '../followers/store-follower.ts';
import { slackMessage } from './slack-message.ts';
import { recentOpenings, STORM, stormAt, stormSummary } from './slack-storm.ts';
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

/** A storm's summary message in a channel, and the incidents it counts. */
interface Storm {
  channel: string;
  channelId: string;
  ts: string;
  since: number;
  /** The latest opening counted: the storm goes on while the next comes within the window. */
  lastAt: number;
  members: Set<string>;
}

/** Incidents of this batch going into a channel's storm: the one already posted, or a new one. */
interface Joining {
  storm: Storm | undefined;
  since: number;
  lastAt: number;
  ids: string[];
}

/**
 * Keeps each incident's Slack message as the incident stands, by following the event store (a
 * `StoreFollower` keeping its position in `chat-slack`, with every message's `ts`). An incident opening posts
 * one message in its channel; its changes in one batch become one `chat.update`; status updates go in its
 * thread. In a storm (see `STORM`) the channel gets one summary message instead, updated as its incidents
 * change. A crash after a post and before its record posts it again on restart: at least once.
 */
export class SlackFollower implements FollowerWork<SlackKeptEvent> {
  readonly schema = slackKeptEventSchema;
  private readonly follower: StoreFollower<SlackKeptEvent>;
  private readonly folds: IncidentFolds;
  private readonly messages = new Map<string, { channel: string; ts: string }>();
  /** Per channel as configured: when the incidents that got a message of their own opened (recent ones). */
  private readonly openings = new Map<string, number[]>();
  /** The latest storm of each channel, every storm by its message's `ts`, and the storm of each incident in one. */
  private readonly storms = new Map<string, Storm>();
  private readonly summaries = new Map<string, Storm>();
  private readonly stormOf = new Map<string, Storm>();
  /** How the incidents in storms stand, as last seen (read from the store when not seen since a restart). */
  private readonly statuses = new Map<string, IncidentStatus>();
  private toPost = new Map<string, { channel: string; state: Incident; position: bigint }>();
  private toUpdate = new Map<string, Incident>();
  private joining = new Map<string, Joining>();
  private joiningOf = new Map<string, string>();
  private summariesChanged = new Set<Storm>();

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

  /** The storm summary counting an incident, once posted. */
  summaryOf(incidentId: string): { channel: string; ts: string } | undefined {
    const storm = this.stormOf.get(incidentId);
    return storm && { channel: storm.channelId, ts: storm.ts };
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

  /**
   * Messages and summaries posted elsewhere are updated from here on; the position moves forward to a
   * checkpoint only (a message recorded mid-batch says nothing of the changes before it in that batch).
   */
  readKept(events: SlackKeptEvent[], current: bigint | undefined): { position: bigint | undefined } | undefined {
    let furthest = current;
    for (const event of events) {
      switch (event.type) {
        case 'SlackMessagePosted':
          this.messages.set(event.data.incidentId, { channel: event.data.channel, ts: event.data.ts });
          if (event.data.opened) this.opened(event.data.opened.channel, Date.parse(event.data.opened.at));
          break;
        case 'SlackSummaryPosted': {
          const { channel, channelId, ts } = event.data;
          const since = Date.parse(event.data.since);
          const storm = { channel, channelId, ts, since, lastAt: since, members: new Set<string>() };
          this.storms.set(channel, storm);
          this.summaries.set(ts, storm);
          break;
        }
        case 'SlackSummaryJoined': {
          const storm = this.summaries.get(event.data.ts);
          if (storm) this.joined(storm, event.data.incidentIds, Date.parse(event.data.lastAt));
          break;
        }
        case 'SlackCheckpointed': {
          if (event.data.position === undefined) break;
          const position = BigInt(event.data.position);
          if (furthest === undefined || position > furthest) furthest = position;
        }
      }
    }
    return furthest === current ? undefined : { position: furthest };
  }

  beginBatch(): void {
    this.toPost = new Map();
    this.toUpdate = new Map();
    this.joining = new Map();
    this.joiningOf = new Map();
    this.summariesChanged = new Set();
  }

  async take(record: RecordedEvent): Promise<Taken> {
    const folded = await this.folds.fold(record);
    if (!folded || !folded.after.exists) return 'batched';
    const { incidentId, event, after } = folded;
    if (event.type === 'IncidentOpened') {
      const known = this.messages.has(incidentId) || this.stormOf.has(incidentId) || this.joiningOf.has(incidentId);
      const channel = known ? undefined : this.deps.channelOf(after);
      if (!channel) return 'batched';
      const at = Date.parse(after.openedAt);
      if (this.inStorm(channel, at)) this.join(channel, incidentId, at);
      else this.toPost.set(incidentId, { channel, state: after, position: record.position });
      this.statuses.set(incidentId, after.status);
      return 'batched';
    }
    const storm = this.stormOf.get(incidentId);
    const joiningChannel = this.joiningOf.get(incidentId);
    if (storm || joiningChannel) {
      this.statuses.set(incidentId, after.status);
      if (storm) this.summariesChanged.add(storm);
      if (event.type === 'StatusUpdatePosted') {
        if (joiningChannel) await this.postJoins(joiningChannel);
        const summary = this.stormOf.get(incidentId);
        if (summary)
          await this.call('chat.postMessage', () =>
            this.deps.client.chat.postMessage({
              channel: summary.channelId,
              thread_ts: summary.ts,
              text: `#${after.number} status update from ${event.data.by}: ${event.data.text}`,
            }),
          );
      }
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
    for (const channel of [...this.joining.keys()]) await this.postJoins(channel);
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
    for (const storm of this.summariesChanged) {
      const summary = await this.summary(storm.channel, storm.since, storm.members);
      await this.call('chat.update', () =>
        this.deps.client.chat.update({ channel: storm.channelId, ts: storm.ts, ...summary }),
      );
    }
  }

  /** In a storm: the channel's storm goes on (an opening within the window of its last), or its messages are too many. */
  private inStorm(channel: string, at: number): boolean {
    const lastAt = Math.max(
      this.joining.get(channel)?.lastAt ?? -Infinity,
      this.storms.get(channel)?.lastAt ?? -Infinity,
    );
    if (at - lastAt <= STORM.withinMs) return true;
    const posting = [...this.toPost.values()].filter((w) => w.channel === channel);
    return stormAt([...(this.openings.get(channel) ?? []), ...posting.map((w) => Date.parse(w.state.openedAt))], at);
  }

  private join(channel: string, incidentId: string, at: number): void {
    let joining = this.joining.get(channel);
    if (!joining) {
      const storm = this.storms.get(channel);
      const goesOn = storm !== undefined && at - storm.lastAt <= STORM.withinMs;
      joining = { storm: goesOn ? storm : undefined, since: at, lastAt: at, ids: [] };
      this.joining.set(channel, joining);
    }
    joining.ids.push(incidentId);
    joining.lastAt = at;
    this.joiningOf.set(incidentId, channel);
  }

  /** The batch's incidents of a channel's storm: into its summary (posted now when the storm is new). */
  private async postJoins(channel: string): Promise<void> {
    const joining = this.joining.get(channel);
    if (!joining) return;
    this.joining.delete(channel);
    for (const id of joining.ids) this.joiningOf.delete(id);
    let storm = joining.storm;
    if (storm) this.summariesChanged.add(storm);
    else {
      const summary = await this.summary(channel, joining.since, joining.ids);
      const answer = await this.call('chat.postMessage', () =>
        this.deps.client.chat.postMessage({ channel, ...summary }),
      );
      if (!answer?.ts || !answer.channel) return;
      const since = joining.since;
      storm = { channel, channelId: answer.channel, ts: answer.ts, since, lastAt: since, members: new Set() };
      this.storms.set(channel, storm);
      this.summaries.set(storm.ts, storm);
      const data = { channel, channelId: storm.channelId, ts: storm.ts, since: new Date(since).toISOString() };
      await this.follower.record({ type: 'SlackSummaryPosted', data });
      this.deps.logger.warn(
        { channel, since: data.since },
        'storm in a Slack channel: one summary message from here on',
      );
    }
    this.joined(storm, joining.ids, joining.lastAt);
    const lastAt = new Date(joining.lastAt).toISOString();
    await this.follower.record({
      type: 'SlackSummaryJoined',
      data: { channel, ts: storm.ts, incidentIds: joining.ids, lastAt },
    });
  }

  private joined(storm: Storm, incidentIds: readonly string[], lastAt: number): void {
    for (const id of incidentIds) {
      storm.members.add(id);
      this.stormOf.set(id, storm);
    }
    storm.lastAt = Math.max(storm.lastAt, lastAt);
  }

  private opened(channel: string, at: number): void {
    this.openings.set(channel, recentOpenings([...(this.openings.get(channel) ?? []), at]));
  }

  private async summary(channel: string, since: number, members: Iterable<string>) {
    const statuses: IncidentStatus[] = [];
    for (const id of members) statuses.push(await this.statusOf(id));
    return stormSummary(channel, since, statuses, this.deps.publicUrl);
  }

  private async statusOf(incidentId: string): Promise<IncidentStatus> {
    const seen = this.statuses.get(incidentId);
    if (seen) return seen;
    let state = initialState();
    for (const record of await this.deps.store.readStream(`${INCIDENT_STREAM_PREFIX}${incidentId}`)) {
      const parsed = incidentEventSchema.safeParse({ type: record.type, data: record.data });
      if (parsed.success) state = evolve(state, parsed.data);
    }
    const status = state.exists ? state.status : 'open';
    this.statuses.set(incidentId, status);
    return status;
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
    const opened = { channel: waiting.channel, at: waiting.state.openedAt };
    const data = { incidentId, channel: answer.channel, ts: answer.ts, position: waiting.position.toString(), opened };
    this.messages.set(incidentId, { channel: answer.channel, ts: answer.ts });
    this.opened(waiting.channel, Date.parse(opened.at));
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
