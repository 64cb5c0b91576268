import { createHash } from 'node:crypto';

/**
 * Incidents of one alert group (and route) get ids `<slot>-<generation>`: the first incident of the group
 * is generation 1, the one after it resolved is 2. Deterministic ids let two instances race to open the
 * same incident and have the store's expected revision pick one winner.
 */
export const groupSlot = (groupKey: string, routeIndex: number): string =>
  createHash('sha256').update(`${routeIndex}\u0000${groupKey}`).digest('hex').slice(0, 12);

export const incidentIdFor = (slot: string, generation: number): string => `${slot}-${generation}`;

export function parseIncidentId(incidentId: string): { slot: string; generation: number } | undefined {
  const match = /^([0-9a-f]{12})-(\d+)$/.exec(incidentId);
  return match ? { slot: match[1]!, generation: Number(match[2]) } : undefined;
}
