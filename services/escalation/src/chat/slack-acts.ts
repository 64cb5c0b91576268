import { roleAtLeast, toInstant, type IncidentCommand } from '@klaxon/domain';
import type { Clock } from '@klaxon/service-kit';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { Rosters } from '../oncall/rosters.ts';
import { describeError } from '../http/incident-errors.ts';
import type { SlackAction } from './slack-message.ts';
import type { SlackPerson } from './slack-people.ts';

export interface SlackActDeps {
  commands: IncidentCommands;
  rosters: Rosters;
  clock: Clock;
}

const DONE: Record<SlackAction, string> = { ack: 'Acknowledged', resolve: 'Resolved', escalate: 'Escalated' };

/**
 * A button or slash command from Slack, done as the person the Slack user is, with that person's role.
 * The answer is for that person only (an ephemeral message); the channel's message follows the incident.
 */
export function slackActs(deps: SlackActDeps) {
  return async (person: SlackPerson, action: SlackAction, incidentId: string): Promise<string> => {
    if (!roleAtLeast(person.role, 'responder'))
      return `${person.name} is a ${person.role} in Klaxon; acting on incidents needs the responder role.`;
    const at = toInstant(deps.clock.now());
    const who = { by: person.name, actor: { kind: 'person' as const, name: person.name } };
    const execution = await deps.commands.execute(incidentId, (state): IncidentCommand => {
      if (action === 'ack') return { type: 'Acknowledge', ...who, via: 'slack', at };
      if (action === 'escalate' && state.exists)
        return { type: 'Escalate', ...who, roster: deps.rosters.forPolicy(state.policy, at), at };
      // On an incident that does not exist any command will do: the decider answers IncidentNotFound.
      return { type: 'Resolve', ...who, via: 'slack', at };
    });
    if (!execution.ok) return `Klaxon: not done: ${describeError(execution.error)}.`;
    const number = execution.state.exists ? `#${execution.state.number}` : incidentId;
    const level = action === 'escalate' && execution.state.exists ? ` to L${execution.state.level}` : '';
    return `Klaxon: ${DONE[action]} ${number}${level} as ${person.name}.`;
  };
}
