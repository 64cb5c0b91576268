import { alertTitle, toInstant, type AlertReceived, type KlaxonRouter, type Severity, type Timings } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { Counter } from 'prom-client';
import { groupSlot, incidentIdFor } from '../incidents/incident-ids.ts';
import type { IncidentIndex } from '../incidents/incident-index.ts';
import type { Execution, IncidentRepository } from '../incidents/incident-repository.ts';
import type { Rosters } from '../incidents/rosters.ts';

export interface AlertHandlerDeps {
  repository: IncidentRepository;
  index: IncidentIndex;
  router: KlaxonRouter;
  rosters: Rosters;
  timings: (severity: Severity) => Timings;
  clock: Clock;
  logger: Logger;
  incidentsOpened: Counter<'severity'>;
  onExecuted: (incidentId: string, execution: Execution) => void;
}

/**
 * One alert from the bus: route it, then open an incident for its group or attach it to the open one.
 * A resolved incident is never reused for a firing alert: the next generation of the group opens.
 */
export function alertHandler(deps: AlertHandlerDeps) {
  const { repository, index, router, rosters, timings, clock, logger } = deps;

  return async function handle(alert: AlertReceived): Promise<void> {
    const matches = router.route(alert.labels);
    if (matches.length === 0) {
      logger.warn({ groupKey: alert.groupKey, fingerprint: alert.fingerprint }, 'no route matched; alert dropped (add a catch-all route)');
      return;
    }
    for (const match of matches) {
      const slot = groupSlot(alert.groupKey, match.routeIndex);
      let generation = index.generationHint(slot);
      for (;;) {
        const incidentId = incidentIdFor(slot, generation);
        const at = toInstant(clock.now());
        let moveOn = false;
        const execution = await repository.execute(incidentId, (state) => {
          moveOn = false;
          if (!state.exists) {
            // An acknowledgement or resolution for an alert with no incident has nothing to act on.
            if (alert.status !== 'firing') return undefined;
            return {
              type: 'OpenIncident',
              incidentId,
              number: index.nextNumber(),
              groupKey: alert.groupKey,
              severity: match.severity,
              service: alert.labels.service ?? alert.labels.job ?? '',
              title: alertTitle(alert),
              labels: alert.labels,
              source: alert.source,
              fingerprint: alert.fingerprint,
              alertStartsAt: alert.startsAt,
              policy: match.policy,
              timings: timings(match.severity),
              roster: rosters.forPolicy(match.policy, at),
              escalateTo: router.immediateLevel(alert.labels),
              at,
            };
          }
          if (state.status === 'resolved' && alert.status === 'firing') {
            moveOn = true;
            return undefined;
          }
          if (alert.status === 'acknowledged') {
            return state.acknowledged || state.status === 'resolved' ? undefined : { type: 'Acknowledge', by: `integration:${alert.integration}`, via: 'api', at };
          }
          return { type: 'AttachAlert', fingerprint: alert.fingerprint, status: alert.status, startsAt: alert.startsAt, at };
        });
        if (moveOn) {
          generation++;
          continue;
        }
        if (!execution.ok) {
          logger.warn({ incidentId, code: execution.error.code }, 'alert not applied');
        } else if (execution.events.length > 0) {
          if (execution.events[0]?.type === 'IncidentOpened') {
            deps.incidentsOpened.inc({ severity: match.severity });
            logger.info({ incidentId, severity: match.severity, policy: match.policy, groupKey: alert.groupKey }, 'incident opened');
          }
          deps.onExecuted(incidentId, execution);
        }
        break;
      }
    }
  };
}
