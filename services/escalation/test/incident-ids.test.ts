import { describe, expect, it } from 'vitest';
import { groupSlot, incidentIdFor, parseIncidentId } from '../src/state/incident-ids.ts';

// Ids are stored in every incident's stream name: the same group and policy must give the same id in every
// version, or a restarted escalation would open a second incident for a group it already has. (Until
// 2026-12 the slot was hashed from the route's index instead of its policy: see intake/alert-intake.ts for how an
// incident opened then is still found.)
describe('incident ids', () => {
  const group = '{}:{alertname="BarDiskFull", service="bar-db"}';

  it('are the same for a group and policy in every version, and differ between policies and groups', () => {
    expect(groupSlot(group, 'default')).toBe('26c2874ddd27');
    expect(groupSlot(group, 'databases')).toBe('cb594e1c44fc');
    expect(groupSlot('payments-dedup', 'default')).toBe('71a84a0f24af');
    // Asked again, with a group key that is another string of the same text, from the cache:
    expect(groupSlot(JSON.parse(JSON.stringify(group)) as string, 'databases')).toBe('cb594e1c44fc');
    expect(groupSlot(group, 'default')).toBe('26c2874ddd27');
  });

  it('name the generation and read back', () => {
    const id = incidentIdFor(groupSlot(group, 'default'), 2);
    expect(id).toBe('26c2874ddd27-2');
    expect(parseIncidentId(id)).toEqual({ slot: '26c2874ddd27', generation: 2 });
    expect(parseIncidentId('not-an-id')).toBeUndefined();
  });
});
