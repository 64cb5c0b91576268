import { describe, expect, it } from 'vitest';
import {
  decideOverride,
  evolveAllOverrides,
  onCallAt,
  onCallChanges,
  shiftsBetween,
  withStreamOverrides,
  type OverrideCommand,
  type ScheduleEvent,
  type ScheduleSpec,
} from '../src/index.ts';

// Daily rotation in Berlin, handoff 09:00 local: ann on 2027-03-27, ben on the 28th (the spring change), ann on the 29th.
const primary: ScheduleSpec = {
  timezone: 'Europe/Berlin',
  rotation: 'daily',
  handoff: '09:00',
  handoffDay: 'monday',
  start: '2027-03-27',
  members: ['ann', 'ben'],
  overrides: [],
};
const people = new Set(['ann', 'ben', 'cat', 'dan']);
const context = { schedule: primary, people };
const person = (name: string, role: 'viewer' | 'responder' | 'admin' = 'responder') => ({
  kind: 'person' as const,
  name,
  role,
});

/** Runs commands one after the other, as the stream would: each decided on the events before it. */
function run(...commands: OverrideCommand[]) {
  const events: ScheduleEvent[] = [];
  for (const command of commands) {
    const decided = decideOverride(command, evolveAllOverrides(events), context);
    if (!decided.ok) throw new Error(`refused: ${JSON.stringify(decided.error)}`);
    events.push(...decided.value);
  }
  return { events, schedule: withStreamOverrides(primary, evolveAllOverrides(events)) };
}

const add = (
  overrideId: string,
  by: Extract<OverrideCommand, { type: 'AddOverride' }>['actor'],
  fields: { start: string; end: string; person: string; replaces?: string; reason?: string },
  at = '2027-03-26T12:00:00.000Z',
): OverrideCommand => ({ type: 'AddOverride', overrideId, actor: by, at, ...fields });

describe('overrides people make to a schedule', () => {
  it('a take across the spring change: cat takes the pager from Saturday 20:00 to Sunday 20:00 local (a 23-hour day)', () => {
    // Given ann on call Saturday 27 March (09:00 CET = 08:00Z), ben from Sunday 09:00 CEST = 07:00Z.
    const { schedule } = run(
      add('o1', person('cat'), { start: '2027-03-27T19:00:00Z', end: '2027-03-28T18:00:00Z', person: 'cat' }),
    );
    expect(shiftsBetween(schedule, '2027-03-27T08:00:00Z', '2027-03-29T07:00:00Z')).toEqual([
      { contact: 'ann', from: '2027-03-27T08:00:00.000Z', to: '2027-03-27T19:00:00.000Z', override: false },
      {
        contact: 'cat',
        from: '2027-03-27T19:00:00.000Z',
        to: '2027-03-28T18:00:00.000Z',
        override: true,
        overrideId: 'o1',
        actor: { kind: 'person', name: 'cat' },
      },
      { contact: 'ben', from: '2027-03-28T18:00:00.000Z', to: '2027-03-29T07:00:00.000Z', override: false },
    ]);
  });

  it('a swap across the spring change: ben gives his Sunday (23 hours) to dan, and only his hours move', () => {
    // The window is wider than ben's shift; replacing ben, it takes only the hours ben has.
    const { schedule, events } = run(
      add('o1', person('ben'), {
        start: '2027-03-27T00:00:00Z',
        end: '2027-03-30T00:00:00Z',
        person: 'dan',
        replaces: 'ben',
        reason: 'sick child',
      }),
    );
    expect(events[0]!.data).toMatchObject({ actor: { kind: 'person', name: 'ben' }, reason: 'sick child' });
    expect(shiftsBetween(schedule, '2027-03-27T08:00:00Z', '2027-03-29T07:00:00Z')).toEqual([
      { contact: 'ann', from: '2027-03-27T08:00:00.000Z', to: '2027-03-28T07:00:00.000Z', override: false },
      {
        contact: 'dan',
        from: '2027-03-28T07:00:00.000Z',
        to: '2027-03-29T07:00:00.000Z',
        override: true,
        overrideId: 'o1',
        actor: { kind: 'person', name: 'ben' },
        reason: 'sick child',
        replaces: 'ben',
      },
    ]);
  });

  it("a cover across the autumn change: an admin puts cat on for ann's 25-hour Sunday in New York", () => {
    const ny: ScheduleSpec = { ...primary, timezone: 'America/New_York', start: '2027-11-06' };
    // Clocks fall back on 2027-11-07: ann's shift runs from 09:00 EDT on the 6th (13:00Z) to 09:00 EST on the 7th (14:00Z).
    const decided = decideOverride(
      add('o1', person('root', 'admin'), {
        start: '2027-11-06T13:00:00Z',
        end: '2027-11-07T14:00:00Z',
        person: 'cat',
        replaces: 'ann',
      }),
      evolveAllOverrides([]),
      { schedule: ny, people },
    );
    if (!decided.ok) throw new Error(decided.error.code);
    const schedule = withStreamOverrides(ny, evolveAllOverrides(decided.value));
    expect(
      shiftsBetween(schedule, '2027-11-06T12:00:00Z', '2027-11-07T15:00:00Z').map((s) => [s.contact, s.from, s.to]),
    ).toEqual([
      ['ben', '2027-11-06T12:00:00.000Z', '2027-11-06T13:00:00.000Z'],
      ['cat', '2027-11-06T13:00:00.000Z', '2027-11-07T14:00:00.000Z'],
      ['ben', '2027-11-07T14:00:00.000Z', '2027-11-07T15:00:00.000Z'],
    ]);
  });

  it('overlapping overrides of different people: the one added last wins where they overlap', () => {
    const { schedule } = run(
      add('o1', person('cat'), { start: '2027-03-27T10:00:00Z', end: '2027-03-27T14:00:00Z', person: 'cat' }),
      add('o2', person('dan'), { start: '2027-03-27T12:00:00Z', end: '2027-03-27T16:00:00Z', person: 'dan' }),
    );
    expect(onCallAt(schedule, '2027-03-27T11:00:00Z')).toBe('cat');
    expect(onCallAt(schedule, '2027-03-27T13:00:00Z')).toBe('dan');
    expect(onCallAt(schedule, '2027-03-27T15:00:00Z')).toBe('dan');
    expect(onCallAt(schedule, '2027-03-27T16:00:00Z')).toBe('ann');
  });

  it('a removed override gives the time back to the rotation, and a replay of the past still sees it while it stood', () => {
    const { schedule } = run(
      add('o1', person('cat'), { start: '2027-03-27T10:00:00Z', end: '2027-03-27T18:00:00Z', person: 'cat' }),
      { type: 'RemoveOverride', overrideId: 'o1', actor: person('cat'), at: '2027-03-27T12:00:00.000Z' },
    );
    expect(onCallAt(schedule, '2027-03-27T11:00:00Z')).toBe('cat');
    expect(onCallAt(schedule, '2027-03-27T12:00:00Z')).toBe('ann');
    expect(onCallAt(schedule, '2027-03-27T17:00:00Z')).toBe('ann');
  });

  it('an override holds from when it was added, not from a start written in the past', () => {
    const { schedule } = run(
      add(
        'o1',
        person('cat'),
        { start: '2027-03-27T08:00:00Z', end: '2027-03-27T18:00:00Z', person: 'cat' },
        '2027-03-27T10:00:00.000Z',
      ),
    );
    expect(onCallAt(schedule, '2027-03-27T09:00:00Z')).toBe('ann');
    expect(onCallAt(schedule, '2027-03-27T10:00:00Z')).toBe('cat');
  });

  describe('who may', () => {
    const refusal = (command: OverrideCommand, events: ScheduleEvent[] = []) => {
      const decided = decideOverride(command, evolveAllOverrides(events), context);
      return decided.ok ? undefined : decided.error.code;
    };
    const window = { start: '2027-03-27T10:00:00Z', end: '2027-03-27T12:00:00Z' };

    it('a responder may not put someone else on call, nor give away a shift that is not theirs', () => {
      expect(refusal(add('o1', person('cat'), { ...window, person: 'dan' }))).toBe('NotAllowed');
      expect(refusal(add('o1', person('cat'), { ...window, person: 'dan', replaces: 'ann' }))).toBe('NotAllowed');
    });

    it('a viewer is refused like a responder who names someone else; an admin may put anyone on', () => {
      expect(refusal(add('o1', person('dan', 'viewer'), { ...window, person: 'cat' }))).toBe('NotAllowed');
      expect(refusal(add('o1', person('dan', 'viewer'), { ...window, person: 'dan' }))).toBe('NotAllowed');
      expect(refusal(add('o1', person('dan'), { ...window, person: 'dan' }))).toBeUndefined();
      expect(refusal(add('o1', person('root', 'admin'), { ...window, person: 'cat' }))).toBeUndefined();
    });

    it('a service token, even with the responder role, takes no shift for itself', () => {
      const service = { kind: 'service' as const, name: 'ci', role: 'responder' as const };
      expect(refusal(add('o1', service, { ...window, person: 'cat' }))).toBe('NotAllowed');
    });

    it('a responder removes only their own overrides; an admin removes any', () => {
      const added = run(add('o1', person('cat'), { ...window, person: 'cat' })).events;
      const remove = (by: ReturnType<typeof person>): OverrideCommand => ({
        type: 'RemoveOverride',
        overrideId: 'o1',
        actor: by,
        at: '2027-03-27T11:00:00.000Z',
      });
      expect(refusal(remove(person('dan')), added)).toBe('NotAllowed');
      expect(refusal(remove(person('root', 'admin')), added)).toBeUndefined();
      expect(refusal({ ...remove(person('cat')), overrideId: 'nope' }, added)).toBe('UnknownOverride');
    });
  });

  describe('refused changes', () => {
    const refusal = (fields: Parameters<typeof add>[2], events: ScheduleEvent[] = []) => {
      const decided = decideOverride(add('oX', person('root', 'admin'), fields), evolveAllOverrides(events), context);
      return decided.ok ? undefined : decided.error;
    };

    it('an unknown person, a window that ends before it starts, one already over', () => {
      expect(refusal({ start: '2027-03-27T10:00:00Z', end: '2027-03-27T12:00:00Z', person: 'zed' })).toEqual({
        code: 'UnknownPerson',
        person: 'zed',
      });
      expect(refusal({ start: '2027-03-27T12:00:00Z', end: '2027-03-27T12:00:00Z', person: 'cat' })?.code).toBe(
        'EmptyWindow',
      );
      expect(refusal({ start: '2027-03-20T10:00:00Z', end: '2027-03-20T12:00:00Z', person: 'cat' })?.code).toBe(
        'InThePast',
      );
    });

    it('conflicts: the same person twice, replacing someone not on call, or taking what one has already', () => {
      const events = run(
        add('o1', person('cat'), { start: '2027-03-27T10:00:00Z', end: '2027-03-27T12:00:00Z', person: 'cat' }),
      ).events;
      expect(refusal({ start: '2027-03-27T11:00:00Z', end: '2027-03-27T13:00:00Z', person: 'cat' }, events)).toEqual({
        code: 'Conflict',
        reason: 'cat already has override o1 from 2027-03-27T10:00:00Z to 2027-03-27T12:00:00Z',
      });
      expect(
        refusal({ start: '2027-03-27T10:00:00Z', end: '2027-03-27T12:00:00Z', person: 'dan', replaces: 'ben' })?.code,
      ).toBe('Conflict');
      expect(refusal({ start: '2027-03-27T10:00:00Z', end: '2027-03-27T12:00:00Z', person: 'ann' })?.code).toBe(
        'Conflict',
      );
    });
  });

  it('tells who gains and who loses on-call time through a change', () => {
    const { schedule } = run(
      add('o1', person('root', 'admin'), { start: '2027-03-27T10:00:00Z', end: '2027-03-27T14:00:00Z', person: 'cat' }),
    );
    expect(onCallChanges(primary, schedule, '2027-03-26T12:00:00Z', '2027-04-02T12:00:00Z')).toEqual([
      { person: 'ann', gained: [], lost: [{ from: '2027-03-27T10:00:00.000Z', to: '2027-03-27T14:00:00.000Z' }] },
      { person: 'cat', gained: [{ from: '2027-03-27T10:00:00.000Z', to: '2027-03-27T14:00:00.000Z' }], lost: [] },
    ]);
  });
});
