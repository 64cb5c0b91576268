import { describe, expect, it } from 'vitest';
import {
  commandForTimer,
  createRouter,
  decide,
  evolveAll,
  initialState,
  occurrenceAt,
  pendingTimers,
  suppressionAt,
  type IncidentEvent,
  type Maintenance,
  type QuietWindow,
} from '../src/index.ts';
import { at, openedP1, openP1, roster } from './support/runbook.ts';
import { Scenario } from './support/scenario.ts';

/** The runbook's weekly database maintenance: Saturdays 02:00–04:00 Berlin time. */
const saturdayNights: Maintenance = {
  kind: 'maintenance',
  id: 'db-maintenance',
  matchers: { service: 'bar-db' },
  every: 'weekly',
  days: ['sat'],
  from: '02:00',
  to: '04:00',
  timezone: 'Europe/Berlin',
  comment: 'weekly vacuum',
};
const db = { alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' };

describe('a weekly window Saturday 02:00–04:00 Europe/Berlin, across the spring DST change (Sunday 2027-03-28)', () => {
  it('the Saturday before the change, in CET: 01:00Z–03:00Z is quiet, and not a minute more', () => {
    expect(suppressionAt([saturdayNights], db, '2027-03-27T00:59:59.999Z')).toBeUndefined();
    expect(suppressionAt([saturdayNights], db, '2027-03-27T01:00:00.000Z')).toEqual({
      windowId: 'db-maintenance',
      until: '2027-03-27T03:00:00.000Z',
    });
    expect(suppressionAt([saturdayNights], db, '2027-03-27T02:59:59.999Z')).toBeDefined();
    expect(suppressionAt([saturdayNights], db, '2027-03-27T03:00:00.000Z')).toBeUndefined();
  });

  it('the Saturday after, in CEST: the same local hours are 00:00Z–02:00Z', () => {
    expect(suppressionAt([saturdayNights], db, '2027-04-03T00:00:00.000Z')).toEqual({
      windowId: 'db-maintenance',
      until: '2027-04-03T02:00:00.000Z',
    });
    expect(suppressionAt([saturdayNights], db, '2027-04-03T02:30:00.000Z')).toBeUndefined();
  });

  it('on the night of the change, a Sunday window from 02:00 (a local time that does not exist) starts at 03:00 CEST', () => {
    const sunday = { ...saturdayNights, days: ['sun' as const] };
    expect(occurrenceAt(sunday, '2027-03-28T00:59:00.000Z')).toBeUndefined();
    expect(occurrenceAt(sunday, '2027-03-28T01:00:00.000Z')).toEqual({
      start: '2027-03-28T01:00:00.000Z',
      end: '2027-03-28T02:00:00.000Z',
    });
  });

  it('other services, other days, and a window with no matchers stay loud', () => {
    expect(suppressionAt([saturdayNights], { ...db, service: 'api' }, '2027-03-27T01:30:00.000Z')).toBeUndefined();
    expect(suppressionAt([saturdayNights], db, '2027-03-26T01:30:00.000Z')).toBeUndefined();
    expect(suppressionAt([{ ...saturdayNights, matchers: {} }], db, '2027-03-27T01:30:00.000Z')).toBeUndefined();
  });

  it('a window past midnight (Fri 22:00 → 06:00) holds on Saturday morning; an expired one from its expiry on', () => {
    const overnight: QuietWindow = { ...saturdayNights, days: ['fri'], from: '22:00', to: '06:00' };
    expect(suppressionAt([overnight], db, '2027-03-27T04:00:00.000Z')?.until).toBe('2027-03-27T05:00:00.000Z');
    const expired = { ...overnight, expiredAt: '2027-03-27T03:00:00.000Z' };
    expect(suppressionAt([expired], db, '2027-03-27T02:00:00.000Z')?.until).toBe('2027-03-27T03:00:00.000Z');
    expect(suppressionAt([expired], db, '2027-03-27T04:00:00.000Z')).toBeUndefined();
  });

  it('of two that hold, the one that ends later keeps it quiet', () => {
    const silence: QuietWindow = {
      kind: 'silence',
      id: 'migration',
      matchers: { alertname: '~Bar.*' },
      start: '2027-03-27T00:00:00.000Z',
      end: '2027-03-27T05:00:00.000Z',
      comment: 'migration',
    };
    expect(suppressionAt([saturdayNights, silence], db, '2027-03-27T01:30:00.000Z')).toEqual({
      windowId: 'migration',
      until: '2027-03-27T05:00:00.000Z',
    });
  });
});

const quiet = { windowId: 'db-maintenance', until: at('12:00') };
const decided = (history: IncidentEvent[], command: Parameters<typeof decide>[0]) => {
  const result = decide(command, evolveAll(history, initialState()));
  if (!result.ok) throw new Error(result.error.code);
  return result.value;
};

describe('an incident opened while a window holds: recorded, quiet, paged when the window ends', () => {
  it('given a P1 opened at 10:00 under a window until 12:00, then nobody is paged and it waits on the window alone', () => {
    const opened = openedP1({ suppression: quiet });
    expect(opened.map((e) => e.type)).toEqual(['IncidentOpened', 'AlertAttached', 'IncidentSuppressed']);
    const state = evolveAll(opened, initialState());
    expect(pendingTimers(state)).toEqual([{ kind: 'suppression-end', windowId: 'db-maintenance', dueAt: at('12:00') }]);
  });

  it('when the window ends at 12:00 with the incident still open, then L1 is paged then and the ack timeout counts from 12:00', () => {
    const opened = openedP1({ suppression: quiet });
    const [timer] = pendingTimers(evolveAll(opened, initialState()));
    const events = decided(opened, commandForTimer(timer!, roster, at('12:00'))!);
    expect(events).toEqual(
      expect.arrayContaining([
        { type: 'SuppressionEnded', data: { windowId: 'db-maintenance', at: at('12:00') } },
        expect.objectContaining({
          type: 'PageRequested',
          data: expect.objectContaining({ contact: 'alice', level: 1 }),
        }),
        {
          type: 'EscalationScheduled',
          data: { timerId: 't1', level: 2, dueAt: at('12:05'), reason: 'ack-timeout' },
        },
      ]),
    );
  });

  it('when another window still holds at 12:00, then it stays quiet until that one ends', () => {
    const opened = openedP1({ suppression: quiet });
    const later = { windowId: 'migration', until: at('13:00') };
    expect(decided(opened, { type: 'EndSuppression', roster, suppression: later, at: at('12:00') })).toEqual([
      { type: 'IncidentSuppressed', data: { ...later, at: at('12:00') } },
    ]);
  });

  it('when the source resolves at 11:00 during the window, then it resolves, and nobody hears of it (nobody was paged)', () => {
    const opened = openedP1({ suppression: quiet });
    const events = decided(opened, {
      type: 'AttachAlert',
      fingerprint: 'f1',
      status: 'resolved',
      startsAt: at('09:58'),
      at: at('11:00'),
    });
    expect(events.map((e) => e.type)).toEqual(['AlertAttached', 'Resolved']);
    expect(pendingTimers(evolveAll([...opened, ...events], initialState()))).toEqual([]);
  });

  it('given a P1 paged at 10:00, when its ack timeout falls due in a window that began later, then L2 is not paged, and is when the window ends', () => {
    const opened = openedP1();
    const [ackTimeout] = pendingTimers(evolveAll(opened, initialState()));
    const quietAt = decided(opened, commandForTimer(ackTimeout!, roster, at('10:05'), quiet)!);
    expect(quietAt).toEqual([{ type: 'IncidentSuppressed', data: { ...quiet, at: at('10:05') } }]);
    const ended = decided([...opened, ...quietAt], { type: 'EndSuppression', roster, at: at('12:00') });
    expect(ended.filter((e) => e.type === 'PageRequested').map((e) => (e.data as { contact: string }).contact)).toEqual(
      ['alice'],
    );
  });
});

describe('a reminder that falls due inside a window', () => {
  it('given a P1 acknowledged at 10:02, when its status-update reminder falls due in a window, then nobody is reminded until it ends', () => {
    const opened = openedP1();
    const acked = decided(opened, { type: 'Acknowledge', by: 'alice', via: 'api', at: at('10:02') });
    const history = [...opened, ...acked];
    const reminder = pendingTimers(evolveAll(history, initialState())).find((t) => t.kind === 'status-update')!;
    const quietThen = {
      windowId: 'db-maintenance',
      until: new Date(Date.parse(reminder.dueAt) + 3_600_000).toISOString(),
    };
    const command = commandForTimer(reminder, roster, reminder.dueAt, quietThen)!;
    expect(decided(history, command)).toEqual([
      { type: 'IncidentSuppressed', data: { ...quietThen, at: reminder.dueAt } },
    ]);
  });
});

describe('a security incident that opens inside a window: the rule that escalates it at once waits with the page', () => {
  // klaxon.yaml's rules: category security → L3 at once.
  const router = createRouter([{ match: {}, policy: 'default', continue: false }], {}, [
    { match: { category: 'security' }, escalateTo: 'L3' },
  ]);
  const intrusion = { alertname: 'IntrusionDetected', category: 'security', service: 'bar-db', severity: 'critical' };
  const window: QuietWindow = {
    kind: 'silence',
    id: 'db-migration',
    matchers: { service: 'bar-db' },
    start: at('09:00'),
    end: at('12:00'),
    comment: 'migration',
  };

  it('given it opens at 10:00 under a window until 12:00, when virtual time passes 12:00, then L3 is paged at 12:00 (with L1, as at an opening), not L1 alone, and L4 follows at its ack timeout', () => {
    const s = new Scenario();
    s.run(
      openP1({
        labels: intrusion,
        escalateTo: router.immediateLevel(intrusion),
        suppression: suppressionAt([window], intrusion, at('10:00')),
      }),
    );
    s.advanceTo(at('11:59'));
    expect(s.pages()).toEqual([]);
    expect(s.current.exists && s.current.suppressed).toMatchObject({ windowId: 'db-migration', escalateTo: 3 });

    s.advanceTo(at('12:04'));
    expect(s.escalations()).toEqual(['12:00 L1->L3 rule']);
    expect(s.pages().filter((p) => p.startsWith('12:00 L3'))).not.toEqual([]);
    expect(s.pages().every((p) => p.startsWith('12:00 L1') || p.startsWith('12:00 L3'))).toBe(true);
    s.advanceTo(at('12:05'));
    expect(s.escalations()).toEqual(['12:00 L1->L3 rule', '12:05 L3->L4 timeout']);
  });

  it('given a second window still holds at 12:00, then the rule waits for that one too and pages L3 when it ends', () => {
    const s = new Scenario();
    s.run(
      openP1({
        labels: intrusion,
        escalateTo: router.immediateLevel(intrusion),
        suppression: suppressionAt([window], intrusion, at('10:00')),
      }),
    );
    s.run({ type: 'EndSuppression', roster, suppression: { windowId: 'late', until: at('13:00') }, at: at('12:00') });
    expect(s.pages()).toEqual([]);
    s.advanceTo(at('13:00'));
    expect(s.escalations()).toEqual(['13:00 L1->L3 rule']);
    expect(s.pages().some((p) => p.startsWith('13:00 L3'))).toBe(true);
  });

  it('an alert no rule escalates pages L1 alone at the window end, as before', () => {
    const s = new Scenario();
    const disk = { alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' };
    s.run(
      openP1({
        labels: disk,
        escalateTo: router.immediateLevel(disk),
        suppression: suppressionAt([window], disk, at('10:00')),
      }),
    );
    s.advanceTo(at('12:04'));
    expect(s.escalations()).toEqual([]);
    expect(s.pages().every((p) => p.startsWith('12:00 L1'))).toBe(true);
    expect(s.pages()).not.toEqual([]);
  });
});
