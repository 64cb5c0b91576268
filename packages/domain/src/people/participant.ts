import type { Acting } from './actor.ts';

/**
 * The person a command counts for as a participant: whom an admin acted for, else the authenticated
 * person (by token, session, one-tap link or replying phone). A service token or an integration acting on
 * its own is no one. A fact written before actors were recorded counts its `by`, as then.
 */
export function participantOf(data: Acting & { by?: string }): string | undefined {
  if (data.onBehalfOf !== undefined) return data.onBehalfOf;
  if (data.actor) return data.actor.kind === 'person' || data.actor.kind === 'phone' ? data.actor.name : undefined;
  return data.by;
}
