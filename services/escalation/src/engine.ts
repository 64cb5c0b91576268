import type { Bus } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import {
  defaultUrgency,
  type Channel,
  type KlaxonRouter,
  type Severity,
  type Suppression,
  type Timings,
} from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { OneTapLinks } from './acks/one-tap-links.ts';
import { afterCommitStep, type AfterCommit } from './after-commit/after-commit.ts';
import { IncidentCommands } from './commands/incident-commands.ts';
import { BUNDLE_NUMBERS_STREAM, INCIDENT_NUMBERS_STREAM, NumberClaims } from './commands/number-claims.ts';
import type { escalationMetrics } from './escalation-metrics.ts';
import { alertConsumer, type AlertConsumerDeps } from './intake/alert-consumer.ts';
import { alertIntake } from './intake/alert-intake.ts';
import type { Rosters } from './oncall/rosters.ts';
import { OutboundPipeline } from './outbound/outbound-pipeline.ts';
import type { Notifier } from './paging/notifier.ts';
import { IncidentIndex } from './state/incident-index.ts';
import { TimerRunner } from './timers/timer-runner.ts';

export interface EngineDeps {
  logger: Logger;
  store: EventStore;
  bus: Bus;
  config: KlaxonConfig;
  notifiers: Record<Channel, Notifier>;
  clock: Clock;
  publicUrl: string;
  oneTapLinks: OneTapLinks;
  metrics: ReturnType<typeof escalationMetrics>;
  topic: string;
  consumerGroup: string;
  consumerStallMs: number;
  /** Who each policy pages at an instant (schedules with their overrides). */
  rosters: Rosters;
  /** Where an alert goes (rebuilt when the configuration is reloaded). */
  router: KlaxonRouter;
  /** The silence or maintenance window that holds for these labels now, if any: no page while it does. */
  suppression?: (labels: Record<string, string>, at: string) => Suppression | undefined;
  /** Heartbeat monitors, which take beat records and Watchdog-like alerts from the bus. */
  beats?: AlertConsumerDeps['beats'];
  /** When given, replaces ownership by bus partition (see EscalationDeps.owns). */
  owns?: (incidentId: string) => boolean;
}

const toRule = (t: { every: number; burst: number }) => ({ everyMs: t.every, burst: t.burst });

/**
 * The engine, in the order an alert goes through it: the bus consumer hands alerts to the intake, which
 * routes them and runs commands (open, attach, acknowledge, resolve); a command appends to the incident's
 * stream and hands what it appended to the after-commit step, which folds it into the index, notes it,
 * re-arms the incident's timers and offers its due pages to the outbound pipeline. Timers run commands the
 * same way; the pipeline records each page's outcome as a command too.
 */
export function createEngine(deps: EngineDeps) {
  const { logger, store, config, clock, metrics } = deps;
  const index = new IncidentIndex();
  // Which bus partitions this instance holds, and which partition a group key falls in.
  const ownership = { held: new Set<number>(), partitionOf: (_key: string): number => 0 };
  const owns =
    deps.owns ??
    ((incidentId: string) => {
      const incident = index.get(incidentId);
      if (incident === undefined || !ownership.held.has(ownership.partitionOf(incident.state.groupKey))) return false;
      // Frozen past the group's session, this instance may have lost its partitions without hearing it yet:
      // it acts on none until the group confirms them again.
      return consumer.current();
    });
  // Numbers people type (`#42`, `42a`, `7aa`): claimed through the store, so no two instances give one twice.
  const incidentNumbers = new NumberClaims({
    store,
    stream: INCIDENT_NUMBERS_STREAM,
    inUse: () => index.highestNumberInUse(),
  });
  const bundleNumbers = new NumberClaims({ store, stream: BUNDLE_NUMBERS_STREAM, inUse: () => index.highestBundle() });
  const commands = new IncidentCommands(store, index, incidentNumbers, () => afterCommit);
  const { rosters, router } = deps;
  const timings = (severity: Severity): Timings => {
    const s = config.severities[severity];
    return {
      ackTimeoutMs: s.ackTimeout,
      escalateAfterMs: s.escalateAfter,
      statusUpdateEveryMs: s.statusUpdateEvery,
      urgency: s.urgency ?? defaultUrgency(severity),
    };
  };
  const outbound = new OutboundPipeline({
    commands,
    notifiers: deps.notifiers,
    contacts: config.contacts,
    throttle: {
      sms: toRule(config.throttle.sms),
      voice: toRule(config.throttle.voice),
      email: toRule(config.throttle.email),
      push: toRule(config.throttle.push),
    },
    owns,
    bundleNumbers,
    clock,
    logger,
    publicUrl: deps.publicUrl,
    oneTapLinks: deps.oneTapLinks,
    pagesSent: metrics.pagesSent,
    pagesWithheld: metrics.pagesWithheld,
    pageOutcomesRefused: metrics.pageOutcomesRefused,
  });
  const suppression = deps.suppression ? { suppression: deps.suppression } : {};
  const timers = new TimerRunner({ index, commands, rosters, outbound, clock, logger, owns, ...suppression });
  const afterCommit: AfterCommit = afterCommitStep({
    index,
    timers,
    outbound,
    owns,
    reread: (incidentId) => commands.load(incidentId),
    logger,
    incidentsOpened: metrics.incidentsOpened,
    escalations: metrics.escalations,
  });
  const intake = alertIntake({
    commands,
    index,
    router,
    rosters,
    timings,
    clock,
    logger,
    actsRefused: metrics.actsRefused,
    ...suppression,
  });
  const consumer = alertConsumer({
    bus: deps.bus,
    store,
    topic: deps.topic,
    group: deps.consumerGroup,
    logger,
    alertsProcessed: metrics.alertsProcessed,
    take: (alerts) => intake.handleRun(alerts),
    assigned: (partitions) => {
      ownership.held = new Set(partitions);
      ownershipMoved();
    },
    stallMs: deps.consumerStallMs,
    ...(deps.beats ? { beats: deps.beats } : {}),
  });

  // Work keyed like a bus record (a heartbeat's name) is this instance's while it holds that key's partition.
  const ownsKey = (key: string) => ownership.held.has(ownership.partitionOf(key)) && consumer.current();
  let live = false;
  // Pages whose outcome was never recorded go out again from whoever owns them now.
  const recoverOwned = () => {
    for (const { state } of index.acting()) if (owns(state.incidentId)) outbound.offer(state.incidentId, state);
  };
  // At the moment ownership moves, not when the throttle would have let them go: by then the new owner has
  // sent them and recorded their outcome.
  const ownershipMoved = () => {
    outbound.dropUnowned();
    if (live) recoverOwned();
  };

  return {
    index,
    commands,
    afterCommit,
    outbound,
    timers,
    consumer,
    intake,
    rosters,
    timings,
    ownsKey,
    owns,
    ownershipMoved,
    /** Once nothing opens incidents or bundles pages any more: no number is claimed after this. */
    stopNumberClaims: () => Promise.all([incidentNumbers.stop(), bundleNumbers.stop()]),
    /** The store was read to its end: timers and pages may act on the picture. */
    async goLive(): Promise<void> {
      live = true;
      afterCommit.goLive();
      if (deps.owns) recoverOwned();
      ownership.partitionOf = await deps.bus.partitioner(deps.topic);
    },
  };
}
