import {
  ALERTS_TOPIC,
  deadLetterHeaders,
  deadLetterTopicOf,
  UnprocessableRecordError,
  type Bus,
  type BusConsumer,
  type DeliveredRecord,
} from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import {
  alertsOfRecord,
  createRouter,
  heartbeatKey,
  heartbeatReceivedSchema,
  INCIDENT_STREAM_PREFIX,
  type Channel,
  type Severity,
  type Timings,
} from '@klaxon/domain';
import type { EventStore, Subscription } from '@klaxon/event-store';
import { authenticator, PersonalTokens } from '@klaxon/people';
import { createServiceHttp, systemClock, type Clock, type Logger, type ServiceHttp } from '@klaxon/service-kit';
import { ackLinks } from './acks/ack-links.ts';
import { escalationMetrics } from './escalation-metrics.ts';
import { ackLinkRoutes } from './http/ack-link-routes.ts';
import { incidentRoutes } from './http/incident-routes.ts';
import { consoleRoutes } from './http/console-routes.ts';
import { deadLetterRoutes } from './http/dead-letter-routes.ts';
import { heartbeatRoutes } from './http/heartbeat-routes.ts';
import { HeartbeatMonitors } from './heartbeats/heartbeat-monitors.ts';
import { silenceRoutes } from './http/silence-routes.ts';
import { calendarRoutes } from './http/calendar-routes.ts';
import { FeedTokens } from './calendar/feed-tokens.ts';
import { ShiftNotices } from './shift-notices/shift-notices.ts';
import { QuietWindows } from './silences/quiet-windows.ts';
import { suppressionEnds } from './silences/suppression-ends.ts';
import { kpiProxyRoutes } from './http/kpi-proxy-routes.ts';
import { onCallRoutes } from './http/oncall-routes.ts';
import { peopleRoutes } from './http/people-routes.ts';
import { twilioRoutes } from './http/twilio-routes.ts';
import { IncidentIndex } from './incidents/incident-index.ts';
import { IncidentRepository, type Execution } from './incidents/incident-repository.ts';
import { loadIndexSnapshot } from './incidents/index-snapshot.ts';
import { BUNDLE_NUMBERS_STREAM, INCIDENT_NUMBERS_STREAM, NumberClaims } from './incidents/number-claims.ts';
import { IndexSnapshotWriter } from './incidents/index-snapshot-writer.ts';
import { rosters as createRosters } from './incidents/rosters.ts';
import type { Notifier } from './paging/notifier.ts';
import { noticeSender, type NoticeSender } from './paging/notices.ts';
import { PageDispatcher } from './paging/page-dispatcher.ts';
import { alertHandler } from './routing/alert-handler.ts';
import { TimerRunner } from './timers/timer-runner.ts';

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
  /** Rebuilds state from the store, recovers pages without an outcome, then takes alerts and runs timers. */
  start(): Promise<void>;
  /**
   * Ownership moved: pages held for incidents no longer owned are dropped, and pages without an outcome of
   * incidents owned now are sent. The bus's rebalances call it; so must whoever passes `owns`.
   */
  ownershipMoved(): void;
  /** Resolves once every page in hand has its outcome recorded. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const FIVE_MINUTES_MS = 5 * 60_000;
const CONSUMER_STALL_MS = 60_000;

const toRule = (t: { every: number; burst: number }) => ({ everyMs: t.every, burst: t.burst });

export async function createEscalationService(deps: EscalationDeps): Promise<EscalationService> {
  const { logger, store, bus, config } = deps;
  const clock = deps.clock ?? systemClock;
  const topic = deps.topic ?? ALERTS_TOPIC;
  // A settled incident that another instance wrote to is read again from its stream.
  const index = new IncidentIndex(
    (incidentId) =>
      void repository
        .load(incidentId)
        .catch((error: unknown) => logger.error({ err: error, incidentId }, 'reading a settled incident again failed')),
  );
  const ownership = { held: new Set<number>(), partitionOf: (_key: string): number => 0 };
  const owns =
    deps.owns ??
    ((incidentId: string) => {
      const incident = index.get(incidentId);
      if (incident === undefined || !ownership.held.has(ownership.partitionOf(incident.state.groupKey))) return false;
      // Frozen past the group's session (SIGSTOP, a long GC, a VM pause), this instance may have lost its
      // partitions without hearing it yet: it acts on none until the group confirms them again.
      return consumer === undefined || consumer.current();
    });
  // Numbers people type (`#42`, `42a`, `7aa`): claimed through the store, so no two instances give one twice.
  const incidentNumbers = new NumberClaims({
    store,
    stream: INCIDENT_NUMBERS_STREAM,
    inUse: () => index.highestNumberInUse(),
  });
  const bundleNumbers = new NumberClaims({ store, stream: BUNDLE_NUMBERS_STREAM, inUse: () => index.highestBundle() });
  const repository = new IncidentRepository(store, index, incidentNumbers);
  const rosters = createRosters(config);
  const router = createRouter(config.routes, config.severityFrom, config.rules);
  const links = ackLinks(deps.linkSecret);
  const timings = (severity: Severity): Timings => {
    const s = config.severities[severity];
    return { ackTimeoutMs: s.ackTimeout, escalateAfterMs: s.escalateAfter, statusUpdateEveryMs: s.statusUpdateEvery };
  };

  let consumer: BusConsumer | undefined;
  let subscription: Subscription | undefined;
  let subscriptionLost: unknown;
  let lastHandlerFailure: { at: number; message: string } | undefined;
  const consumerStallMs = deps.consumerStallMs ?? CONSUMER_STALL_MS;
  const http = createServiceHttp({
    service: 'escalation',
    logger,
    readiness: [
      { name: `event-store (${store.kind})`, check: () => store.ping() },
      { name: `bus (${bus.kind})`, check: () => bus.ping() },
      {
        name: 'taking alerts from the bus',
        check: async () => {
          if (consumer && !consumer.current())
            throw new Error('the bus consumer is not running or not confirmed by its group');
          // Alerts wait behind a record the consumer cannot get past: nothing behind it pages meanwhile.
          const stuckSince = consumer?.stuckSince();
          if (stuckSince === undefined || Date.now() - stuckSince <= consumerStallMs) return;
          const failure = lastHandlerFailure && lastHandlerFailure.at >= stuckSince ? lastHandlerFailure : undefined;
          throw new Error(
            `the bus consumer has not got past a record for ${Math.round((Date.now() - stuckSince) / 1000)} s ` +
              `with records waiting (over ${consumerStallMs / 1000} s): ` +
              (failure ? `its handling keeps failing: ${failure.message}` : 'its handling has not returned'),
          );
        },
      },
      {
        name: 'state rebuilt from the store',
        check: async () => {
          if (!subscription) throw new Error('not started');
          // A stale picture fires wrong timers: not ready, so the orchestrator restarts the service.
          if (subscriptionLost)
            throw new Error(`stopped following the store: ${(subscriptionLost as Error).message ?? subscriptionLost}`);
          return { incidents: index.size(), open: index.unresolved().length };
        },
      },
    ],
  });
  const metrics = escalationMetrics(http.metrics, index, () => dispatcher.held());
  const dispatcher = new PageDispatcher({
    repository,
    notifiers: deps.notifiers,
    contacts: config.contacts,
    throttle: {
      sms: toRule(config.throttle.sms),
      voice: toRule(config.throttle.voice),
      email: toRule(config.throttle.email),
    },
    latest: (incidentId) => repository.latest(incidentId),
    owns,
    bundleNumbers,
    clock,
    logger,
    publicUrl: deps.publicUrl,
    ackLinks: links,
    pagesSent: metrics.pagesSent,
    pagesWithheld: metrics.pagesWithheld,
    pageOutcomesRefused: metrics.pageOutcomesRefused,
  });

  const onExecuted = (incidentId: string, execution: Execution) => {
    if (!execution.ok) return;
    for (const event of execution.events) {
      if (event.type === 'Escalated') {
        metrics.escalations.inc({ reason: event.data.reason });
        logger.info(
          { incidentId, from: `L${event.data.fromLevel}`, to: `L${event.data.toLevel}`, reason: event.data.reason },
          'escalated',
        );
      }
    }
  };
  const snapshots = deps.snapshotPath
    ? new IndexSnapshotWriter({
        index,
        path: deps.snapshotPath,
        everyMs: deps.snapshotEveryMs ?? FIVE_MINUTES_MS,
        logger,
      })
    : undefined;
  // quiet (issue 27): silences and maintenance windows; the decider is told which holds (`suppression`).
  const windows: QuietWindows = new QuietWindows({
    store,
    configured: Object.entries(config.maintenance).map(([id, w]) => ({ id, kind: 'maintenance', ...w })),
    clock,
    logger,
    onExpired: suppressionEnds({ index, repository, rosters, windows: () => windows, owns, clock, logger }),
  });
  const suppression = (labels: Record<string, string>, at: string) => windows.suppression(labels, at);
  const timers = new TimerRunner({
    index,
    repository,
    rosters,
    dispatcher,
    clock,
    logger,
    owns,
    onExecuted,
    suppression, // quiet (issue 27)
  });
  const handleAlert = alertHandler({
    repository,
    index,
    router,
    rosters,
    timings,
    clock,
    logger,
    incidentsOpened: metrics.incidentsOpened,
    actsRefused: metrics.actsRefused,
    onExecuted,
    suppression, // quiet (issue 27)
  });

  // A record that is no alert record at all goes to the dead-letter topic whole. One bad alert of a
  // notification goes there alone, as a notification of that one alert, and its siblings are handled.
  const alertsOf = async (record: DeliveredRecord) => {
    // quiet (issue 27): a heartbeat's beat is no alert; alerts a monitor takes as beats are not routed.
    const beat = heartbeatReceivedSchema.safeParse(record.value);
    if (beat.success) {
      await heartbeats.beat(beat.data.heartbeat, beat.data.receivedAt);
      return [];
    }
    return heartbeats.takeBeats(await alertsOfAll(record));
  };
  const alertsOfAll = async (record: DeliveredRecord) => {
    const parsed = alertsOfRecord(record.value);
    if (!parsed.ok)
      throw new UnprocessableRecordError(`not an AlertReceived or AlertsReceived: ${parsed.error.join('; ')}`);
    const { alerts, refused } = parsed.value;
    if (refused.length === 0) return alerts;
    const notification = record.value as { alerts: unknown[] };
    await bus.publish(
      deadLetterTopicOf(topic),
      refused.map(({ index, problems }) => ({
        key: record.key,
        value: { ...notification, alerts: [notification.alerts[index]] },
        headers: {
          ...deadLetterHeaders(record, `an alert that cannot be handled: ${problems.join('; ')}`, 0),
          'klaxon-original-alert-index': String(index),
        },
      })),
    );
    for (const { index, fingerprint, problems } of refused) {
      metrics.alertsProcessed.inc({ result: 'dead-lettered' });
      logger.error(
        { partition: record.partition, offset: record.offset, key: record.key, index, fingerprint, problems },
        'moved an alert that cannot be handled to the dead-letter topic; the others of its notification are handled',
      );
    }
    return alerts;
  };

  // quiet (issue 27): heartbeat monitors; a miss is raised as an alert and handled like one from the bus.
  const heartbeats = new HeartbeatMonitors({
    store,
    specs: config.heartbeats,
    clock,
    logger,
    raise: (alerts) => handleAlert.handleRun(alerts),
    owns: (name) => ownsKey(heartbeatKey(name)),
  });
  const ownsKey = (key: string) =>
    ownership.held.has(ownership.partitionOf(key)) && (consumer === undefined || consumer.current());
  const notices = noticeSender({ notifiers: deps.notifiers, contacts: config.contacts, logger });
  const personalTokens = new PersonalTokens(store, clock, logger);
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
  const auth = authenticator(config, personalTokens);
  incidentRoutes(http.routes, { index, repository, rosters, timings, clock, auth, onExecuted });
  peopleRoutes(http.routes, { config, auth, personalTokens });
  twilioRoutes(http.routes, {
    index,
    repository,
    contacts: config.contacts,
    clock,
    logger,
    authToken: deps.twilioAuthToken,
    publicUrl: deps.publicUrl,
    onExecuted,
  });
  ackLinkRoutes(http.routes, { repository, ackLinks: links, clock, onExecuted });
  onCallRoutes(http.routes, { config, rosters, clock, auth });
  deadLetterRoutes(http.routes, { bus, topic, auth });
  heartbeatRoutes(http.routes, { heartbeats, auth });
  silenceRoutes(http.routes, { windows, auth, clock });
  const feedTokens = new FeedTokens({ store, clock });
  calendarRoutes(http.routes, { config, feedTokens, auth, clock, publicUrl: deps.publicUrl });
  if (deps.projectionUrl) kpiProxyRoutes(http.routes, deps.projectionUrl);
  consoleRoutes(http.routes);

  let caughtUp = false;
  // Pages whose outcome was never recorded go out again from whoever owns them now.
  const recoverOwned = () => {
    for (const { state } of index.acting()) if (owns(state.incidentId)) dispatcher.dispatch(state.incidentId, state);
  };
  // At the moment ownership moves, not when the throttle would have let them go: by then the new owner has
  // sent them and recorded their outcome.
  const ownershipMoved = () => {
    dispatcher.dropUnowned();
    if (caughtUp) recoverOwned();
  };

  return {
    http,
    index,
    timers,
    heartbeats,
    windows,
    shiftNotices,
    notices,
    ownershipMoved,
    async start() {
      let after: bigint | undefined;
      if (deps.snapshotPath) {
        const loaded = await loadIndexSnapshot(
          deps.snapshotPath,
          store,
          (h) => index.restoreHeader(h),
          (e) => index.restoreEntry(e),
        );
        if (loaded.header) {
          after = BigInt(loaded.header.last.position);
          logger.info(
            { path: deps.snapshotPath, position: loaded.header.last.position, incidents: index.size() },
            'incident index restored from its snapshot; following the store from there',
          );
        } else {
          index.clear();
          logger.info(
            { path: deps.snapshotPath, reason: loaded.reason },
            'no usable incident index snapshot; replaying the whole store',
          );
        }
      }
      await personalTokens.start();
      await windows.start(); // quiet (issue 27): before any alert is handled or timer fired
      subscription = store.subscribe({
        after,
        streamPrefix: INCIDENT_STREAM_PREFIX,
        onEvents: (batch) => index.applyRecorded(batch),
        onError: (error) => {
          subscriptionLost = error;
          logger.fatal({ err: error }, 'lost the event store subscription');
        },
        onInterrupted: (error, retryInMs) =>
          logger.warn(
            { err: error, retryInMs },
            'the event store connection broke; following it again from the last position',
          ),
      });
      await subscription.caughtUp();
      caughtUp = true;
      // Pages are handed out only from a complete picture: mid-replay, a page's outcome may still be ahead.
      index.onChange((incidentId) => {
        const current = index.get(incidentId);
        if (caughtUp && current && owns(incidentId)) dispatcher.dispatch(incidentId, current.state);
      });
      logger.info({ incidents: index.size(), open: index.unresolved().length }, 'state rebuilt from the store');
      if (deps.owns) recoverOwned();
      ownership.partitionOf = await bus.partitioner(topic);

      consumer = await bus.consume({
        topic,
        group: deps.consumerGroup ?? 'klaxon-escalation',
        onAssignment: (partitions) => {
          ownership.held = new Set(partitions);
          logger.info({ partitions }, 'bus partitions assigned: timers and pages of their incidents are ours');
          ownershipMoved();
        },
        handle: async (record) => {
          const alerts = await alertsOf(record);
          await handleAlert.handleRun(alerts);
          metrics.alertsProcessed.inc({ result: 'applied' }, alerts.length);
        },
        // A run of one group's records from one batch: one decision and one append per incident for all of them.
        handleRun: async (records) => {
          const alerts = (await Promise.all(records.map(alertsOf))).flat();
          await handleAlert.handleRun(alerts);
          metrics.alertsProcessed.inc({ result: 'applied' }, alerts.length);
        },
        // A store that does not answer fails every record: an outage, retried for as long as it lasts.
        // The store said it could not be reached (EventStoreUnavailable), or does not answer now: an outage,
        // retried for as long as it lasts, never taken for a poison record.
        dependencyDown: (error) =>
          (error as { retryable?: unknown } | undefined)?.retryable === true
            ? Promise.resolve(true)
            : store.ping().then(
                () => false,
                () => true,
              ),
        onDeadLetter: (record, reason, attempts) => {
          metrics.alertsProcessed.inc({ result: 'dead-lettered' });
          logger.error(
            { partition: record.partition, offset: record.offset, key: record.key, reason, attempts },
            'moved a record that cannot be handled to the dead-letter topic; the records behind it go on',
          );
        },
        onHandlerError: (error, record) => {
          lastHandlerFailure = { at: Date.now(), message: (error as Error).message ?? String(error) };
          logger.error({ err: error, offset: record.offset }, 'alert handling failed; it will be retried');
        },
        onError: (error) => logger.error({ err: error }, 'reading the bus failed; retrying'),
      });
      await heartbeats.start();
      if (deps.runTimerLoop !== false) timers.start();
      if (deps.runTimerLoop !== false) heartbeats.startLoop();
      if (deps.runTimerLoop !== false) shiftNotices.startLoop();
      snapshots?.start();
    },
    settle: () => dispatcher.settle(),
    async stop() {
      await http.close();
      await consumer?.stop();
      await timers.stop();
      await heartbeats.stop();
      await windows.stop();
      await shiftNotices.stop();
      await dispatcher.stop();
      await subscription?.stop();
      await personalTokens.stop();
      await snapshots?.stop();
    },
  };
}
