import { ALERTS_TOPIC, type Bus } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import { heartbeatKey, type Channel } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import { authenticator, oidcSignIn, PersonalTokens, Sessions } from '@klaxon/people';
import { createServiceHttp, systemClock, type Clock, type Logger, type ServiceHttp } from '@klaxon/service-kit';
import { ackLinks } from './acks/ack-links.ts';
import { oneTapLinks } from './acks/one-tap-links.ts';
import { createEngine } from './engine.ts';
import { slackChat, type SlackChat } from './chat/slack.ts';
import { LiveConfig } from './config/live-config.ts';
import { escalationMetrics } from './escalation-metrics.ts';
import { calendarLinks } from './calendar/calendar-links.ts';
import { FeedTokens } from './calendar/feed-tokens.ts';
import { HeartbeatMonitors } from './heartbeats/heartbeat-monitors.ts';
import { ShiftNotices } from './shift-notices/shift-notices.ts';
import { QuietWindows } from './silences/quiet-windows.ts';
import { suppressionEnds } from './silences/suppression-ends.ts';
import { overrideActions } from './oncall/override-actions.ts';
import { rosters as createRosters } from './oncall/rosters.ts';
import { ScheduleOverrides } from './oncall/schedule-overrides.ts';
import { takeReply } from './oncall/take-reply.ts';
import type { Notifier } from './paging/notifier.ts';
import { noticeSender, type NoticeSender } from './paging/notices.ts';
import { ContactMethods } from './people/contact-methods.ts';
import { PersonalRules } from './people/personal-rules.ts';
import { IncidentFollowing } from './service/incident-following.ts';
import { Lifecycle } from './service/lifecycle.ts';
import { mountRoutes } from './service/routes.ts';
import { IndexSnapshotWriter } from './state/index-snapshot-writer.ts';
import type { IncidentIndex } from './state/incident-index.ts';
import type { TimerRunner } from './timers/timer-runner.ts';
import { webhooks as createWebhooks, type Webhooks } from './webhooks/webhooks.ts';

export interface EscalationDeps {
  logger: Logger;
  store: EventStore;
  bus: Bus;
  config: KlaxonConfig;
  notifiers: Record<Channel, Notifier>;
  /** Base of links in pages and of the URLs Twilio signs. */
  publicUrl: string;
  linkSecret: string;
  twilioAuthToken?: string;
  /** Signs Vonage's webhooks (a call's keypress); without it they are refused. */
  vonageSignatureSecret?: string;
  clock?: Clock;
  /** Off in tests that drive virtual time by calling `timers.runDue()`. */
  runTimerLoop?: boolean;
  /**
   * Whether this instance fires an incident's timers and sends its pages. By default: while it holds the
   * bus partition of the incident's group key (with Kafka, its share of the consumer group; embedded, all).
   * When given, call `ownershipMoved()` whenever its answers change.
   */
  owns?: (incidentId: string) => boolean;
  topic?: string;
  consumerGroup?: string;
  /** Projection's API, which the console's KPI page reads through escalation's origin. */
  projectionUrl?: string;
  /**
   * Where the incident index is written down (every `snapshotEveryMs`, default five minutes, and at stop), so
   * that a restart folds only the events after it. Without it, every start replays the whole store.
   */
  snapshotPath?: string;
  snapshotEveryMs?: number;
  /**
   * How long the bus consumer may hold records without getting past one (a handler that does not return,
   * a record retried through an outage) before /ready says so. Default 60 s.
   */
  consumerStallMs?: number;
  /** The file `config` came from, read again on `POST /-/reload` and SIGHUP; without it, reloads are refused. */
  configFile?: string;
}

export interface EscalationService {
  http: ServiceHttp;
  index: IncidentIndex;
  timers: TimerRunner;
  /** Heartbeat monitors (issue 27): tests drive them with `runDue()` in virtual time. */
  heartbeats: HeartbeatMonitors;
  /** Silences and maintenance windows (issue 27). */
  windows: QuietWindows;
  /** Notices before each shift (issue 27): tests drive them with `runDue()` in virtual time. */
  shiftNotices: ShiftNotices;
  /** Messages to a person outside an incident (codes, notices). */
  notices: NoticeSender;
  /** Outgoing webhooks, each following the store. */
  webhooks: Webhooks;
  /** Slack's message per incident (following the store) and its buttons and slash command. */
  slack: SlackChat;
  /** Rebuilds state from the store, recovers pages without an outcome, then takes alerts and runs timers. */
  start(): Promise<void>;
  /**
   * Ownership moved: pages held for incidents no longer owned are dropped, and pages without an outcome of
   * incidents owned now are sent. The bus's rebalances call it; so must whoever passes `owns`.
   */
  ownershipMoved(): void;
  /** Reads the configuration file again and applies it, or refuses it keeping the running one. */
  reload: LiveConfig['reload'];
  /** Resolves once every page in the outbound pipeline has its outcome recorded. */
  drained(): Promise<void>;
  stop(): Promise<void>;
}

const FIVE_MINUTES_MS = 5 * 60_000;
const CONSUMER_STALL_MS = 60_000;

/** Escalation as a service: the engine, its HTTP routes and readiness, and the order of starting and stopping. */
export async function createEscalationService(deps: EscalationDeps): Promise<EscalationService> {
  const { logger, store, bus, config } = deps;
  const clock = deps.clock ?? systemClock;
  const topic = deps.topic ?? ALERTS_TOPIC;
  const scheduleOverrides = new ScheduleOverrides({
    store,
    schedules: config.schedules,
    people: () => new Set(Object.keys(config.contacts)),
    clock,
    logger,
  });
  const live = new LiveConfig({
    config,
    file: deps.configFile,
    store,
    clock,
    logger,
    onApplied: async () => {
      scheduleOverrides.refresh();
      await heartbeats.reconfigure(config.heartbeats);
    },
  });
  const notices = noticeSender({ notifiers: deps.notifiers, contacts: config.contacts, logger });
  const contactMethods = new ContactMethods({
    store,
    contacts: config.contacts,
    notices,
    secret: deps.linkSecret,
    clock,
    logger,
  });
  const personalRules = new PersonalRules({ store, contacts: config.contacts, clock, logger });
  const rosters = createRosters(config, {
    schedules: () => scheduleOverrides.schedules(),
    added: (person) => contactMethods.verified(person),
    contacts: () => personalRules.contacts(),
  });
  const links = ackLinks(deps.linkSecret);
  const oneTap = oneTapLinks(deps.linkSecret, deps.publicUrl);

  const http = createServiceHttp({
    service: 'escalation',
    logger,
    readiness: [
      { name: `event-store (${store.kind})`, check: () => store.ping() },
      { name: `bus (${bus.kind})`, check: () => bus.ping() },
      { name: 'taking alerts from the bus', check: () => engine.consumer.check() },
      { name: 'state rebuilt from the store', check: () => following.check() },
    ],
  });
  // Silences and maintenance windows: the decider is told which holds (`suppression`); one expired early
  // pages the incidents it kept quiet.
  const windows: QuietWindows = new QuietWindows({
    store,
    configured: Object.entries(config.maintenance).map(([id, w]) => ({ id, kind: 'maintenance', ...w })),
    clock,
    logger,
    onExpired: (windowId) =>
      suppressionEnds({
        index: engine.index,
        commands: engine.commands,
        rosters,
        windows: () => windows,
        owns: engine.owns,
        clock,
        logger,
      })(windowId),
  });
  const metrics = escalationMetrics(
    http.metrics,
    () => engine.index,
    () => engine.outbound.held(),
  );
  const engine = createEngine({
    logger,
    store,
    bus,
    config,
    notifiers: deps.notifiers,
    clock,
    publicUrl: deps.publicUrl,
    oneTapLinks: oneTap,
    metrics,
    topic,
    consumerGroup: deps.consumerGroup ?? 'klaxon-escalation',
    consumerStallMs: deps.consumerStallMs ?? CONSUMER_STALL_MS,
    // Who is paged and where an alert goes follow overrides and reloads.
    rosters,
    router: live.router,
    suppression: (labels, at) => windows.suppression(labels, at),
    beats: () => heartbeats,
    ...(deps.owns ? { owns: deps.owns } : {}),
  });
  const { index, commands, timings, timers } = engine;
  // Heartbeat monitors: a miss is raised as an alert and handled like one from the bus.
  const heartbeats = new HeartbeatMonitors({
    store,
    specs: config.heartbeats,
    clock,
    logger,
    raise: (alerts) => engine.intake.handleRun(alerts),
    owns: (name) => engine.ownsKey(heartbeatKey(name)),
    integrations: () => new Set(Object.keys(config.integrations)),
    onUnknownBeat: () => metrics.heartbeatUnknownBeats.inc(),
  });
  const following = new IncidentFollowing({
    store,
    index,
    afterCommit: engine.afterCommit,
    logger,
    snapshotPath: deps.snapshotPath,
  });
  const snapshots = deps.snapshotPath
    ? new IndexSnapshotWriter({
        index,
        path: deps.snapshotPath,
        everyMs: deps.snapshotEveryMs ?? FIVE_MINUTES_MS,
        logger,
      })
    : undefined;

  const personalTokens = new PersonalTokens(store, clock, logger);
  const sessions = new Sessions(store, clock);
  const auth = authenticator(config, personalTokens, { sessions, publicUrl: deps.publicUrl });
  const oidc = config.auth.oidc;
  const signIn =
    oidc &&
    oidcSignIn({
      settings: oidc,
      redirectUri: `${deps.publicUrl}/auth/callback`,
      contacts: config.contacts,
      secret: deps.linkSecret,
      now: () => clock.now(),
    });
  const feedTokens = new FeedTokens({ store, clock, secret: deps.linkSecret });
  const overrides = overrideActions({
    overrides: scheduleOverrides,
    notices,
    contacts: config.contacts,
    clock,
    logger,
  });
  const shiftNotices = new ShiftNotices({
    store,
    schedules: config.schedules,
    noticeBefore: Object.fromEntries(
      Object.entries(config.contacts).flatMap(([name, c]) => (c.shiftNotice ? [[name, c.shiftNotice]] : [])),
    ),
    notices,
    clock,
    logger,
  });
  const webhooks = createWebhooks({
    webhooks: config.webhooks,
    store,
    clock,
    logger,
    publicUrl: deps.publicUrl,
    registry: http.metrics,
  });
  const slack = slackChat({
    ...deps,
    index,
    commands,
    rosters,
    clock,
    registry: http.metrics,
    take: takeReply(overrides, config.contacts, 'person'),
  });
  mountRoutes(http.routes, {
    ...deps,
    clock,
    topic,
    auth,
    signIn,
    sessions,
    personalTokens,
    index,
    commands,
    timings,
    rosters,
    live,
    scheduleOverrides,
    overrides,
    contactMethods,
    personalRules,
    ackLinks: links,
    oneTap,
    feedTokens,
    calendar: calendarLinks(feedTokens, deps.publicUrl),
    heartbeats,
    windows,
    webhooks,
    slack,
  });

  // Loops run on the wall clock unless a test drives virtual time; whatever ran is stopped either way.
  const loops = deps.runTimerLoop !== false;
  // The order of starting, written once; stopping is its reverse.
  const lifecycle = new Lifecycle([
    ...(snapshots ? [{ name: 'index snapshots', start: () => snapshots.start(), stop: () => snapshots.stop() }] : []),
    { name: 'personal tokens', start: () => personalTokens.start(), stop: () => personalTokens.stop() },
    // Before any alert is handled or timer fired: they ask which window holds.
    { name: 'silences and maintenance windows', start: () => windows.start(), stop: () => windows.stop() },
    { name: 'schedule overrides', start: () => scheduleOverrides.start(), stop: () => scheduleOverrides.stop() },
    { name: 'contact methods', start: () => contactMethods.start(), stop: () => contactMethods.stop() },
    { name: 'notification rules', start: () => personalRules.start(), stop: () => personalRules.stop() },
    { name: 'incident state from the store', start: () => following.start(), stop: () => following.stop() },
    {
      name: 'store followers (webhooks, Slack)',
      start: () => Promise.all([webhooks.prepare(), slack.follower?.prepare()]),
    },
    // Stopped after what opens incidents and bundles pages (below), before the store closes.
    { name: 'number claims', start: () => undefined, stop: () => engine.stopNumberClaims() },
    {
      // Pages go out from here on; stopping lets those in hand finish and record their outcome.
      name: 'live: timers and pages',
      start: async () => {
        await engine.goLive();
        logger.info({ incidents: index.size(), open: index.unresolved().length }, 'state rebuilt from the store');
      },
      stop: () => engine.outbound.stop(),
    },
    { name: 'alerts from the bus', start: () => engine.consumer.start(), stop: () => engine.consumer.stop() },
    { name: 'heartbeat monitors', start: () => heartbeats.start(), stop: () => heartbeats.stop() },
    { name: 'timer loop', start: () => loops && timers.start(), stop: () => timers.stop() },
    { name: 'webhook deliveries', start: () => loops && webhooks.start(), stop: () => webhooks.stop() },
    { name: 'Slack messages', start: () => loops && slack.follower?.start(), stop: () => slack.follower?.stop() },
    { name: 'heartbeat loop', start: () => loops && heartbeats.startLoop() },
    { name: 'shift notices', start: () => loops && shiftNotices.startLoop(), stop: () => shiftNotices.stop() },
  ]);

  return {
    http,
    index,
    timers,
    heartbeats,
    windows,
    shiftNotices,
    notices,
    ownershipMoved: engine.ownershipMoved,
    reload: (actor) => live.reload(actor),
    webhooks,
    slack,
    start: () => lifecycle.start(),
    drained: () => engine.outbound.drained(),
    async stop() {
      await http.close();
      await lifecycle.stop();
    },
  };
}
