import { toInstant } from '@klaxon/domain';
import type { Clock, Logger } from '@klaxon/service-kit';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { Rosters } from '../oncall/rosters.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import type { QuietWindows } from './quiet-windows.ts';

/**
 * A window expired by hand before its end: each open incident it kept quiet, and this instance owns,
 * pages now (or stays quiet under another window that holds). The rest end at their recorded end.
 */
export function suppressionEnds(deps: {
  index: IncidentIndex;
  commands: IncidentCommands;
  rosters: Rosters;
  windows: () => QuietWindows;
  owns: (incidentId: string) => boolean;
  clock: Clock;
  logger: Logger;
}) {
  return async (windowId: string): Promise<void> => {
    for (const { state } of deps.index.unresolved()) {
      if (state.suppressed?.windowId !== windowId || !deps.owns(state.incidentId)) continue;
      const at = toInstant(deps.clock.now());
      const execution = await deps.commands.execute(state.incidentId, (s) => {
        if (!s.exists) return undefined;
        const suppression = deps.windows().suppression(s.labels, at);
        return {
          type: 'EndSuppression',
          roster: deps.rosters.forPolicy(s.policy, at),
          ...(suppression ? { suppression } : {}),
          at,
        };
      });
      if (!execution.ok)
        deps.logger.warn({ incidentId: state.incidentId, code: execution.error.code }, 'ending a suppression refused');
    }
  };
}
