import { describe, expect, it } from 'vitest';
import { groupSlot, incidentIdFor, parseIncidentId } from '../src/incidents/incident-ids.ts';

// Ids are stored in every incident's stream name: the same group and route must give the same id in every
// version, or a restarted escalation would open a second incident for a group it already has.
describe('incident ids', () => {
  const group = '{}:{alertname="BarDiskFull", service="bar-db"}';

  it('are the same for a group and route in every version, and differ between routes and groups', () => {
    expect(groupSlot(group, 0)).toBe('f38528c7f08e');
    expect(groupSlot(group, 1)).toBe('7d012be5a2dc');
    expect(groupSlot('payments-dedup', 0)).toBe('86c7a6dfd834');
    // Asked again, with a group key that is another string of the same text, from the cache:
    expect(groupSlot(JSON.parse(JSON.stringify(group)) as string, 1)).toBe('7d012be5a2dc');
    expect(groupSlot(group, 0)).toBe('f38528c7f08e');
  });

  it('name the generation and read back', () => {
    const id = incidentIdFor(groupSlot(group, 0), 2);
    expect(id).toBe('f38528c7f08e-2');
    expect(parseIncidentId(id)).toEqual({ slot: 'f38528c7f08e', generation: 2 });
    expect(parseIncidentId('not-an-id')).toBeUndefined();
  });
});
