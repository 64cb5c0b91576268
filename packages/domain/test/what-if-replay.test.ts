import { describe, expect, it } from 'vitest';
import {
  actualCourse,
  courseSummary,
  outcomeOf,
  replayIncident,
  withRecordedOverrides,
  type RecordedIncident,
  type ReplayConfig,
  type ScheduleEvent,
} from '../src/index.ts';

const MIN = 60_000;
const config = (ackTimeoutMinutes: number): ReplayConfig => ({
  severities: {
    P1: {
      ackTimeout: ackTimeoutMinutes * MIN,
      escalateAfter: [30 * MIN, 60 * MIN, 120 * MIN],
      statusUpdateEvery: 24 * 60 * MIN,
      responseTarget: 15 * MIN,
      resolutionTarget: 240 * MIN,
    },
    P2: {
      ackTimeout: 15 * MIN,
      escalateAfter: [],
      statusUpdateEvery: 24 * 60 * MIN,
      responseTarget: 60 * MIN,
      resolutionTarget: 480 * MIN,
    },
    P3: {
      ackTimeout: 60 * MIN,
      escalateAfter: [],
      statusUpdateEvery: 24 * 60 * MIN,
      responseTarget: 240 * MIN,
      resolutionTarget: 4320 * MIN,
    },
    P4: {
      escalateAfter: [],
      statusUpdateEvery: 24 * 60 * MIN,
      responseTarget: 1440 * MIN,
      resolutionTarget: 20160 * MIN,
    },
  },
  contacts: {
    alice: { phone: '+15550100001', timezone: 'Europe/Berlin' },
    tom: { phone: '+15550100003', timezone: 'Europe/Berlin' },
  },
  schedules: {},
  policies: {
    default: {
      levels: {
        L1: { targets: ['contact:alice'], channels: ['sms'] },
        L2: { targets: ['contact:tom'], channels: ['sms', 'voice'] },
      },
    },
  },
  routes: [{ match: {}, policy: 'default', continue: false }],
  severityFrom: { severity: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P4' } },
  rules: [],
});

/** A history as the service records it: the decider under the configuration in force, with people's real acts. */
function recorded(
  n: number,
  openedAt: string,
  ackAfterMin: number | undefined,
  resolveAfterMin: number,
): RecordedIncident {
  const at = (min: number) => new Date(Date.parse(openedAt) + min * MIN).toISOString();
  const base: RecordedIncident = {
    incidentId: `incident-${n}`,
    number: n,
    title: `Alert ${n}`,
    groupKey: `group-${n}`,
    labels: { alertname: `Alert${n}`, severity: 'critical' },
    source: 'alertmanager',
    service: 'checkout',
    fingerprint: `fp-${n}`,
    alertStartsAt: openedAt,
    openedAt,
    ...(ackAfterMin === undefined ? {} : { acknowledged: { by: 'alice', at: at(ackAfterMin) } }),
    resolved: { by: 'alice', via: 'api', at: at(resolveAfterMin) },
    events: [],
  };
  const [course] = replayIncident(base, config(5), at(24 * 60));
  return { ...base, events: course!.events };
}

describe('what-if replay of recorded incidents through a candidate configuration', () => {
  // 10:00 UTC is 11:00 in Berlin (day); 23:30 UTC is 00:30 in Berlin (night).
  const history = [
    recorded(1, '2026-11-23T10:00:00.000Z', 3, 20), // acknowledged after 3 min
    recorded(2, '2026-11-23T12:00:00.000Z', 8, 40), // acknowledged after 8 min
    recorded(3, '2026-11-23T23:30:00.000Z', undefined, 12), // never acknowledged, resolved after 12 min
  ];
  const until = '2026-11-25T00:00:00.000Z';

  it('a shorter acknowledgement timeout (2 min instead of 5) pages L2 for every one of them', () => {
    const actual = outcomeOf(
      history.map((i) => actualCourse(i, config(5))),
      config(5),
    );
    const candidate = outcomeOf(
      history.flatMap((i) => replayIncident(i, config(2), until)),
      config(2),
    );
    // The acknowledgement timeout runs again at each level. Actual (5 min): #1 acknowledged at 3 min, never
    // escalated; #2 reached L2 at 5 and was acknowledged at 8, before L3 at 10; #3 (never acknowledged)
    // reached L2 at 5 and L3 at 10, and was resolved at 12.
    expect(actual.escalationsTo).toEqual({ L2: 2, L3: 1, L4: 0 });
    // Candidate (2 min): #1 reaches L2 at 2, acknowledged at 3 before L3 at 4; #2 and #3 reach L2, L3 and L4
    // at 2, 4 and 6 minutes (levels without targets page nobody but still count), before 8 and 12.
    expect(candidate.escalationsTo).toEqual({ L2: 3, L3: 2, L4: 2 });
    // Escalation pages: alice by SMS at L1 for each; tom by SMS and call at L2. Resolution notices go by SMS
    // to everyone paged (no call): alice each time, tom where L2 was reached.
    expect(actual.pages).toEqual({ 'alice sms': 3 + 3, 'tom sms': 2 + 2, 'tom voice': 2 });
    expect(candidate.pages).toEqual({ 'alice sms': 3 + 3, 'tom sms': 3 + 3, 'tom voice': 3 });
    // #3 opened at 00:30 in Berlin: its pages are night pages, for alice (page + notice) and tom (sms, call, notice).
    expect(actual.nightPages).toEqual({ alice: 2, tom: 3 });
    expect(candidate.nightPages).toEqual({ alice: 2, tom: 3 });
    expect(candidate.byRouteAndSeverity).toEqual({ 'route 1 P1': 3 });
    // Response target 15 min: #1 and #2 met it, #3 was never acknowledged.
    expect(candidate.sla.P1).toEqual({ responseMet: 2, resolutionMet: 3, of: 3 });
  });

  it('names the incidents whose course would differ, and keeps the real acknowledgement and resolution', () => {
    const differs = history.filter((i) => {
      const [candidate] = replayIncident(i, config(2), until);
      return JSON.stringify(courseSummary(candidate!)) !== JSON.stringify(courseSummary(actualCourse(i, config(5))));
    });
    // #1 now reaches L2; #2 and #3 now reach L4.
    expect(differs.map((i) => i.number)).toEqual([1, 2, 3]);
    const [course] = replayIncident(history[0]!, config(2), until);
    expect(
      course!.events
        .filter((e) => e.type === 'Acknowledged' || e.type === 'Resolved')
        .map((e) => [e.type, (e.data as { at: string }).at]),
    ).toEqual([
      ['Acknowledged', '2026-11-23T10:03:00.000Z'],
      ['Resolved', '2026-11-23T10:20:00.000Z'],
    ]);
  });

  it("a candidate's windows hold quiet what they would have held: nobody paged for #1 (acknowledged inside a maintenance window) or #3 (resolved inside a silence); a silence made later does not reach back", () => {
    const candidate: ReplayConfig = {
      ...config(5),
      windows: [
        // Mondays 11:00–11:10 Berlin (10:00–10:10 UTC): #1 opens at its start.
        {
          kind: 'maintenance',
          id: 'deploys',
          matchers: { alertname: '~Alert[12]' },
          every: 'weekly',
          days: ['mon'],
          from: '11:00',
          to: '11:10',
          timezone: 'Europe/Berlin',
          comment: 'deploys',
        },
        {
          kind: 'silence',
          id: 'night-migration',
          matchers: { alertname: 'Alert3' },
          start: '2026-11-23T23:00:00.000Z',
          end: '2026-11-24T01:00:00.000Z',
          comment: 'migration',
        },
        // Made through the API after #2 was over: it held nothing then.
        {
          kind: 'silence',
          id: 'afterthought',
          matchers: { alertname: 'Alert2' },
          start: '2026-11-23T11:00:00.000Z',
          end: '2026-11-23T14:00:00.000Z',
          comment: 'too late',
          createdAt: '2026-11-23T15:00:00.000Z',
        },
      ],
    };
    const courses = history.flatMap((i) => replayIncident(i, candidate, until));
    const outcome = outcomeOf(courses, candidate);
    expect(outcome.heldQuietBy).toEqual({ deploys: 1, 'night-migration': 1 });
    // Only #2 pages, as before: alice at L1, tom at L2 (at 5 min), each told when it resolves.
    expect(outcome.pages).toEqual({ 'alice sms': 2, 'tom sms': 2, 'tom voice': 1 });
    expect(courses.map((c) => courseSummary(c).heldQuietBy)).toEqual([['deploys'], [], ['night-migration']]);
    expect(
      outcomeOf(
        history.map((i) => actualCourse(i, config(5))),
        config(5),
      ).heldQuietBy,
    ).toEqual({});
  });

  it('an alert no candidate route matches is counted as not routed', () => {
    const candidate = {
      ...config(5),
      routes: [{ match: { service: 'payments' }, policy: 'default', continue: false }],
    };
    const outcome = outcomeOf(
      history.flatMap((i) => replayIncident(i, candidate, until)),
      candidate,
    );
    expect(outcome).toMatchObject({ incidents: 0, notRouted: 3 });
  });
});

describe('what-if replay over a history with overrides', () => {
  // alice and tom rotate daily at 09:00 UTC from 2026-11-23: alice's day. Tom took the pager from 10:00 to
  // 11:00 (the override made at 09:58) and removed it at 10:30; an incident at 10:10 paged tom, one at 10:40 alice.
  const rota = {
    timezone: 'UTC',
    rotation: 'daily' as const,
    handoff: '09:00',
    handoffDay: 'monday' as const,
    start: '2026-11-23',
    members: ['alice', 'tom'],
    overrides: [],
  };
  const withRota = (): ReplayConfig => ({
    ...config(5),
    schedules: { primary: rota },
    policies: { default: { levels: { L1: { targets: ['schedule:primary'], channels: ['sms'] } } } },
  });
  const tom = { kind: 'person' as const, name: 'tom' };
  const recordedOverrides = new Map<string, ScheduleEvent[]>([
    [
      'primary',
      [
        {
          type: 'OverrideAdded',
          data: {
            overrideId: 'o1',
            start: '2026-11-23T10:00:00.000Z',
            end: '2026-11-23T11:00:00.000Z',
            person: 'tom',
            actor: tom,
            at: '2026-11-23T09:58:00.000Z',
          },
        },
        { type: 'OverrideRemoved', data: { overrideId: 'o1', actor: tom, at: '2026-11-23T10:30:00.000Z' } },
      ],
    ],
  ]);
  const incidentAt = (n: number, openedAt: string): RecordedIncident => ({
    incidentId: `incident-${n}`,
    number: n,
    title: `Alert ${n}`,
    groupKey: `group-${n}`,
    labels: { alertname: `Alert${n}`, severity: 'critical' },
    source: 'alertmanager',
    service: 'checkout',
    fingerprint: `fp-${n}`,
    alertStartsAt: openedAt,
    openedAt,
    acknowledged: { by: 'someone', at: new Date(Date.parse(openedAt) + MIN).toISOString() },
    resolved: { by: 'someone', via: 'api', at: new Date(Date.parse(openedAt) + 2 * MIN).toISOString() },
    events: [],
  });
  const firstPaged = (replayConfig: ReplayConfig, incident: RecordedIncident) => {
    const [course] = replayIncident(incident, replayConfig, '2026-11-24T00:00:00.000Z');
    const page = course!.events.find((e) => e.type === 'PageRequested');
    return page?.type === 'PageRequested' ? page.data.contact : undefined;
  };

  it('reproduces who was paged: tom while his override stood, alice before it was made and after it was removed', () => {
    const replayConfig = {
      ...withRota(),
      schedules: withRecordedOverrides(withRota().schedules, recordedOverrides),
    };
    expect(
      ['2026-11-23T09:59:00.000Z', '2026-11-23T10:10:00.000Z', '2026-11-23T10:40:00.000Z'].map((at, i) =>
        firstPaged(replayConfig, incidentAt(i + 1, at)),
      ),
    ).toEqual(['alice', 'tom', 'alice']);
    // Without the schedule's stream, the replay would have said alice for the 10:10 incident.
    expect(firstPaged(withRota(), incidentAt(2, '2026-11-23T10:10:00.000Z'))).toBe('alice');
  });
});
