import { createHash } from 'node:crypto';

// A group's alerts come in runs (an Alertmanager notification carries the whole group): its slot is hashed
// once, not once per alert. Cached by the group key itself, which every alert of a record shares as one
// string (its hash computed once), then by policy. Bounded, and simply emptied when full.
const SLOT_CACHE_SIZE = 10_000;
const slots = new Map<string, Map<string, string>>();

/**
 * Incidents of one alert group under one escalation policy get ids `<slot>-<generation>`: the first incident
 * of the group is generation 1, the one after it resolved is 2. Deterministic ids let two instances race to
 * open the same incident and have the store's expected revision pick one winner. The slot names the route by
 * its policy, not by its place in the list: reordering routes, or adding one above, must not open every
 * firing group again. (Ids of incidents opened before were hashed from the route's index; an open one is
 * still found by its group and policy, see intake/alert-intake.ts.)
 */
export const groupSlot = (groupKey: string, policy: string): string => {
  let byPolicy = slots.get(groupKey);
  if (byPolicy === undefined) {
    if (slots.size >= SLOT_CACHE_SIZE) slots.clear();
    byPolicy = new Map();
    slots.set(groupKey, byPolicy);
  }
  let slot = byPolicy.get(policy);
  if (slot === undefined) {
    slot = createHash('sha256').update(`policy:${policy}\u0000${groupKey}`).digest('hex').slice(0, 12);
    byPolicy.set(policy, slot);
  }
  return slot;
};

export const incidentIdFor = (slot: string, generation: number): string => `${slot}-${generation}`;

export function parseIncidentId(incidentId: string): { slot: string; generation: number } | undefined {
  const match = /^([0-9a-f]{12})-(\d+)$/.exec(incidentId);
  return match ? { slot: match[1]!, generation: Number(match[2]) } : undefined;
}
