import { describe, expect, it } from 'vitest';
import { createRouter, rosterFor, type PolicySpec, type RouteSpec } from '../src/index.ts';

const routes: RouteSpec[] = [
  { match: { team: 'payments' }, policy: 'payments', continue: true },
  { match: { service: '~.*-db' }, policy: 'databases', severity: 'P2', continue: false },
  { match: {}, policy: 'default', continue: false },
];
const router = createRouter(routes, { severity: { critical: 'P1', warning: 'P3' } }, [
  { match: { category: 'security' }, escalateTo: 'L3' },
  { match: { category: 'security', scope: 'customer-data' }, escalateTo: 'L4' },
]);

describe('routing an alert', () => {
  it('stops at the first matching route', () => {
    expect(router.route({ service: 'orders-db', severity: 'critical' })).toEqual([
      { routeIndex: 1, policy: 'databases', severity: 'P2' },
    ]);
  });

  it('goes on past a route that says continue', () => {
    expect(router.route({ team: 'payments', severity: 'critical' }).map((m) => m.policy)).toEqual([
      'payments',
      'default',
    ]);
  });

  it('takes severity from the route, else from severityFrom, else P3', () => {
    expect(router.route({ severity: 'critical' })[0]?.severity).toBe('P1');
    expect(router.route({ severity: 'unheard-of' })[0]?.severity).toBe('P3');
    expect(router.route({ service: 'orders-db', severity: 'warning' })[0]?.severity).toBe('P2');
  });

  it('escalates at once to the highest level any matching rule names', () => {
    expect(router.immediateLevel({ category: 'security' })).toBe(3);
    expect(router.immediateLevel({ category: 'security', scope: 'customer-data' })).toBe(4);
    expect(router.immediateLevel({ category: 'capacity' })).toBeUndefined();
  });
});

describe('the roster of a policy', () => {
  const policy: PolicySpec = {
    levels: {
      L1: { targets: ['schedule:primary', 'contact:ann'], channels: ['sms', 'email'] },
      L2: { targets: ['contact:lead'], channels: ['voice', 'email'] },
    },
  };
  const contacts = {
    ann: { phone: '+15550000001', email: 'ann@x.io', timezone: 'UTC' },
    ben: { email: 'ben@x.io', timezone: 'UTC' },
    lead: { phone: '+15550000003', timezone: 'UTC' },
  };
  const schedules = {
    primary: {
      timezone: 'UTC',
      rotation: 'daily' as const,
      handoff: '09:00',
      handoffDay: 'monday' as const,
      start: '2026-01-01',
      members: ['ann', 'ben'],
      overrides: [],
    },
  };

  it('resolves schedules to who is on call, skips channels a contact has no address for, pages each once', () => {
    expect(rosterFor(policy, contacts, schedules, '2026-01-01T10:00:00Z')).toEqual({
      L1: [
        { contact: 'ann', channel: 'sms' },
        { contact: 'ann', channel: 'email' },
      ],
      L2: [{ contact: 'lead', channel: 'voice' }],
      L3: [],
      L4: [],
    });
    expect(rosterFor(policy, contacts, schedules, '2026-01-02T10:00:00Z').L1).toEqual([
      { contact: 'ben', channel: 'email' },
      { contact: 'ann', channel: 'sms' },
      { contact: 'ann', channel: 'email' },
    ]);
  });
});
