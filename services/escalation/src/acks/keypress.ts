import { toInstant, type ContactSpec, type IncidentCommand } from '@klaxon/domain';
import type { Clock } from '@klaxon/service-kit';
import type { IncidentCommands } from '../commands/incident-commands.ts';
import type { IncidentIndex } from '../state/incident-index.ts';
import { describeError } from '../http/incident-errors.ts';

export interface KeypressDeps {
  index: IncidentIndex;
  commands: IncidentCommands;
  contacts: Record<string, ContactSpec>;
  clock: Clock;
}

/** What the call's webhook names: one incident, or a bundle; and whom it called. */
export interface Keypress {
  incident?: string;
  bundle?: string;
  contact?: string;
  digits?: string;
}

/**
 * A bundle's reply (by SMS or keypress): acknowledge (or resolve) every unresolved incident of the bundle
 * paged to the person; `of` counts them.
 */
export async function actOnBundle(
  deps: Omit<KeypressDeps, 'contacts'>,
  bundle: number,
  contact: string,
  action: 'acknowledge' | 'resolve',
  via: 'sms' | 'voice',
): Promise<{ done: number; of: number }> {
  const at = toInstant(deps.clock.now());
  const actor = { kind: 'phone' as const, name: contact };
  const unresolved = deps.index
    .inBundle(bundle, contact)
    .map(({ state }) => state)
    .filter((state) => state.status !== 'resolved');
  let done = 0;
  for (const state of unresolved) {
    if (action === 'acknowledge' && state.acknowledged) continue;
    const command: IncidentCommand =
      action === 'acknowledge'
        ? { type: 'Acknowledge', by: contact, via, at, actor }
        : { type: 'Resolve', by: contact, via, at, actor };
    if ((await deps.commands.execute(state.incidentId, () => command)).ok) done++;
  }
  return { done, of: unresolved.length };
}

/**
 * A key pressed on a page's call, whichever provider placed it: 1 acknowledges the incident (or every
 * unacknowledged incident of the bundle) as the person called. Answers the sentence to read back.
 */
export async function acknowledgeByKeypress(deps: KeypressDeps, press: Keypress): Promise<string> {
  const { incident, bundle, contact, digits } = press;
  if (bundle && contact && deps.contacts[contact] && /^\d+$/.test(bundle)) {
    if (digits !== '1') return 'Not acknowledged. Goodbye.';
    const { done } = await actOnBundle(deps, Number(bundle), contact, 'acknowledge', 'voice');
    return `Acknowledged ${done} incidents. Thank you. Goodbye.`;
  }
  if (!incident || !contact || !deps.contacts[contact])
    return 'Klaxon could not tell which incident this call is about. Goodbye.';
  if (digits !== '1') return 'Not acknowledged. Goodbye.';
  const execution = await deps.commands.execute(incident, () => ({
    type: 'Acknowledge',
    by: contact,
    via: 'voice',
    actor: { kind: 'phone', name: contact },
    at: toInstant(deps.clock.now()),
  }));
  return execution.ok
    ? 'Acknowledged. Thank you. Goodbye.'
    : `Not acknowledged: ${describeError(execution.error)}. Goodbye.`;
}
