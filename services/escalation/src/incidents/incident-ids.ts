import { createHash } from 'node:crypto';

// A group's alerts come in runs (an Alertmanager notification carries the whole group): its slot is hashed
// once, not once per alert. Cached by the group key itself, which every alert of a record shares as one
// string (its hash computed once), then by route. Bounded, and simply emptied when full.
const SLOT_CACHE_SIZE = 10_000;
const slots = new Map<string, string[]>();

/**
 * Incidents of one alert group (and route) get ids `<slot>-<generation>`: the first incident of the group
 * is generation 1, the one after it resolved is 2. Deterministic ids let two instances race to open the
 * same incident and have the store's expected revision pick one winner.
 */
export const groupSlot = (groupKey: string, routeIndex: number): string => {
  let byRoute = slots.get(groupKey);
  if (byRoute === undefined) {
    if (slots.size >= SLOT_CACHE_SIZE) slots.clear();
    byRoute = [];
    slots.set(groupKey, byRoute);
  }
  return (byRoute[routeIndex] ??= createHash('sha256')
    .update(`${routeIndex}\u0000${groupKey}`)
    .digest('hex')
    .slice(0, 12));
};

export const incidentIdFor = (slot: string, generation: number): string => `${slot}-${generation}`;

export function parseIncidentId(incidentId: string): { slot: string; generation: number } | undefined {
  const match = /^([0-9a-f]{12})-(\d+)$/.exec(incidentId);
  return match ? { slot: match[1]!, generation: Number(match[2]) } : undefined;
}
