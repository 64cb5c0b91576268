import {
  alertTitle,
  believedStart,
  isAlreadyHandled,
  toInstant,
  type AlertReceived,
  type KlaxonRouter,
  type RouteMatch,
  type Severity,
  type Suppression,
  type Timings,
} from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import { groupSlot, incidentIdFor } from '../state/incident-ids.ts';
import type { Execution, IncidentCommands } from '../commands/incident-commands.ts';
import type { Rosters } from '../oncall/rosters.ts';
import type { IncidentIndex } from '../state/incident-index.ts';

export interface AlertIntakeDeps {
  commands: IncidentCommands;
  index: IncidentIndex;
  router: KlaxonRouter;
  rosters: Rosters;
  timings: (severity: Severity) => Timings;
  clock: Clock;
  logger: Logger;
  actsRefused: Counter<'integration' | 'status'>;
  /** quiet (issue 27): the silence or maintenance window that holds for these labels now, if any. */
  suppression?: (labels: Record<string, string>, at: string) => Suppression | undefined;
}

/**
 * One alert from the bus. A firing alert is routed, then opens an incident for its group or attaches to the
 * open one; a resolved incident is never reused for a firing alert: the next generation of the group opens.
 * An acknowledgement or resolution acts on the group's open incidents, whatever route opened them: it
 * often carries no labels to route by (a PagerDuty-style `resolve` has only its dedup_key). It acts only on
 * those its own integration's alerts opened: a group key is no secret, and one integration's token must not
 * silence the incidents of another.
 */
export function alertIntake(deps: AlertIntakeDeps) {
  const { commands, index, router, rosters, timings, clock, logger } = deps;

  const applied = (incidentId: string, execution: Execution) => {
    if (!execution.ok) logger.warn({ incidentId, code: execution.error.code }, 'alert not applied');
  };

  /** A run of one group's acknowledgements or resolutions: each open incident of the group takes it in one decision. */
  async function acknowledgeOrResolve(
    run: Array<AlertReceived & { status: 'acknowledged' | 'resolved' }>,
  ): Promise<void> {
    const [first] = run;
    if (!first) return;
    const open = index.unresolvedOfGroup(first.groupKey).filter(({ state }) => {
      if (state.integration === undefined || state.integration === first.integration) return true;
      deps.actsRefused.inc({ integration: first.integration, status: first.status }, run.length);
      logger.warn(
        { incidentId: state.incidentId, integration: first.integration, openedBy: state.integration },
        `an integration's ${first.status === 'acknowledged' ? 'acknowledgement' : 'resolution'} of an incident another integration opened: refused`,
      );
      return false;
    });
    if (open.length === 0) {
      logger.info(
        { groupKey: first.groupKey, status: first.status, alerts: run.length },
        'no open incident for this group: nothing to acknowledge or resolve',
      );
      return;
    }
    for (const {
      state: { incidentId },
    } of open) {
      const at = toInstant(clock.now());
      const execution = await commands.execute(incidentId, (state) => {
        if (!state.exists || state.status === 'resolved') return undefined;
        if (first.status === 'acknowledged') {
          return state.acknowledged
            ? undefined
            : { type: 'Acknowledge', by: `integration:${first.integration}`, via: 'api', at };
        }
        return {
          type: 'AttachAlerts',
          alerts: run.map((alert) => ({
            fingerprint: alert.fingerprint,
            status: 'resolved',
            startsAt: believedStart(alert),
          })),
          at,
        };
      });
      applied(incidentId, execution);
    }
  }

  /** A firing alert on one of its routes: it opens the group's incident there, or attaches to the open one. */
  async function fireMatch(alert: AlertReceived, match: RouteMatch): Promise<void> {
    const slot = groupSlot(alert.groupKey, match.policy);
    const startsAt = believedStart(alert);
    for (let generation = index.generationHint(slot); ; generation++) {
      const incidentId = incidentIdFor(slot, generation);
      const at = toInstant(clock.now());
      let resolvedAlready = false;
      let seenBefore = false;
      const execution = await commands.execute(incidentId, (state) => {
        resolvedAlready = state.exists && state.status === 'resolved';
        // An alert the group's latest incident already had was handled there and must not open the next
        // one and page. A firing alert that starts again after resolving carries a later start.
        const seenStart = state.exists ? state.alerts.get(alert.fingerprint)?.startsAt : undefined;
        seenBefore =
          state.exists &&
          state.status === 'resolved' &&
          seenStart !== undefined &&
          isAlreadyHandled(startsAt, seenStart, state.resolved?.at ?? seenStart);
        if (resolvedAlready) return undefined;
        if (state.exists)
          return {
            type: 'AttachAlert',
            fingerprint: alert.fingerprint,
            status: 'firing',
            startsAt,
            at,
          };
        return {
          type: 'OpenIncident',
          incidentId,
          number: index.reserveNumber(),
          groupKey: alert.groupKey,
          severity: match.severity,
          service: alert.labels.service ?? alert.labels.job ?? '',
          title: alertTitle(alert),
          labels: alert.labels,
          source: alert.source,
          integration: alert.integration,
          fingerprint: alert.fingerprint,
          alertStartsAt: startsAt,
          ...(alert.generatorURL ? { sourceUrl: alert.generatorURL } : {}),
          policy: match.policy,
          timings: timings(match.severity),
          roster: rosters.forPolicy(match.policy, at),
          escalateTo: router.immediateLevel(alert.labels),
          suppression: deps.suppression?.(alert.labels, at), // quiet (issue 27)
          at,
        };
      });
      if (seenBefore) {
        logger.info(
          { incidentId, fingerprint: alert.fingerprint },
          'a firing alert its resolved incident already had, delivered again: ignored',
        );
        break;
      }
      if (resolvedAlready) continue;
      applied(incidentId, execution);
      break;
    }
  }

  /**
   * Firing alerts of one group, in order, that join incidents already open: each route's incident takes
   * all of them in one decision and one append. An alert that opens an incident, or finds it resolved,
   * is handled on its own first, and the rest join what it opened.
   */
  async function fireRun(alerts: AlertReceived[]): Promise<void> {
    const bySlot = new Map<string, { match: RouteMatch; alerts: AlertReceived[] }>();
    for (const alert of alerts) {
      const matches = router.route(alert.labels);
      if (matches.length === 0) {
        logger.warn(
          { groupKey: alert.groupKey, fingerprint: alert.fingerprint },
          'no route matched; alert dropped (add a catch-all route)',
        );
      }
      for (const match of matches) {
        const slot = groupSlot(alert.groupKey, match.policy);
        const entry = bySlot.get(slot);
        if (entry) entry.alerts.push(alert);
        else bySlot.set(slot, { match, alerts: [alert] });
      }
    }
    for (const [slot, { match, alerts: waiting }] of bySlot) {
      while (waiting.length > 0) {
        // The group's open incident under this policy, whatever its id: one opened before ids were named by
        // policy (they were named by the route's index) is joined, not opened a second time.
        const incidentId =
          index.unresolvedOfGroup(waiting[0]!.groupKey).find(({ state }) => state.policy === match.policy)?.state
            .incidentId ?? incidentIdFor(slot, index.generationHint(slot));
        const open = index.get(incidentId);
        if (!open || open.state.status === 'resolved') {
          await fireMatch(waiting.shift()!, match);
          continue;
        }
        const at = toInstant(clock.now());
        let joined = false;
        const execution = await commands.execute(incidentId, (state) => {
          joined = state.exists && state.status !== 'resolved';
          return joined
            ? {
                type: 'AttachAlerts',
                alerts: waiting.map((alert) => ({
                  fingerprint: alert.fingerprint,
                  status: 'firing',
                  startsAt: believedStart(alert),
                })),
                at,
              }
            : undefined;
        });
        const run = waiting.splice(0);
        if (joined) applied(incidentId, execution);
        // The incident resolved meanwhile: each goes on its own, to the generation that opens next.
        else for (const alert of run) await fireMatch(alert, match);
      }
    }
  }

  return {
    /** Alerts of one group, in order: each run of one status is decided together. */
    async handleRun(alerts: AlertReceived[]): Promise<void> {
      for (let i = 0; i < alerts.length;) {
        const { status } = alerts[i]!;
        let end = i + 1;
        while (end < alerts.length && alerts[end]!.status === status) end++;
        const run = alerts.slice(i, end);
        if (status === 'firing') await fireRun(run);
        else await acknowledgeOrResolve(run.map((alert) => ({ ...alert, status })));
        i = end;
      }
    },
  };
}
