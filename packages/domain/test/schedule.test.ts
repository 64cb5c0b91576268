import { describe, expect, it } from 'vitest';
import { onCallAt, shiftsBetween, type ScheduleSpec } from '../src/index.ts';

const daily = (timezone: string, handoff = '09:00'): ScheduleSpec => ({
  timezone,
  rotation: 'daily',
  handoff,
  handoffDay: 'monday',
  start: '2026-01-01',
  members: ['ann', 'ben'],
  overrides: [],
});

describe('on-call schedules', () => {
  it('rotates daily at the local handoff time', () => {
    const s = daily('UTC');
    expect(onCallAt(s, '2026-01-01T09:00:00Z')).toBe('ann');
    expect(onCallAt(s, '2026-01-02T08:59:59Z')).toBe('ann');
    expect(onCallAt(s, '2026-01-02T09:00:00Z')).toBe('ben');
    expect(onCallAt(s, '2026-01-03T09:00:00Z')).toBe('ann');
  });

  it('hands off at the exact minute, however often it was asked just before, in a zone 5:45 ahead of UTC too', () => {
    const s = daily('Asia/Kathmandu', '09:00');
    // 09:00 in Kathmandu is 03:15Z; 2026-01-01 is ann's day, the 2nd ben's.
    for (const at of ['2026-01-02T03:14:00.000Z', '2026-01-02T03:14:30.000Z', '2026-01-02T03:14:59.999Z'])
      expect(onCallAt(s, at)).toBe('ann');
    expect(onCallAt(s, '2026-01-02T03:15:00.000Z')).toBe('ben');
    expect(onCallAt(s, '2026-01-02T03:14:59.999Z')).toBe('ann');
    // An override that starts mid-minute wins from its first millisecond, though the minute's rotation was known.
    const o = { ...s, overrides: [{ contact: 'zoe', from: '2026-01-02T03:20:30Z', to: '2026-01-02T04:00:00Z' }] };
    expect(onCallAt(o, '2026-01-02T03:20:10Z')).toBe('ben');
    expect(onCallAt(o, '2026-01-02T03:20:30Z')).toBe('zoe');
  });

  it('before the first handoff, the rotation runs backwards consistently', () => {
    expect(onCallAt(daily('UTC'), '2026-01-01T08:00:00Z')).toBe('ben');
  });

  it('rotates weekly on the handoff day, from the first such day on or after the start date', () => {
    const s: ScheduleSpec = {
      ...daily('Europe/Berlin'),
      rotation: 'weekly',
      handoffDay: 'monday',
      start: '2026-01-01',
      members: ['ann', 'ben', 'cat'],
    };
    // 2026-01-05 is the first Monday; 09:00 in Berlin is 08:00Z in winter.
    expect(onCallAt(s, '2026-01-05T08:00:00Z')).toBe('ann');
    expect(onCallAt(s, '2026-01-12T07:59:00Z')).toBe('ann');
    expect(onCallAt(s, '2026-01-12T08:00:00Z')).toBe('ben');
    expect(onCallAt(s, '2026-01-19T08:00:00Z')).toBe('cat');
    expect(onCallAt(s, '2026-01-26T08:00:00Z')).toBe('ann');
  });

  it('an override wins for its window only', () => {
    const s = {
      ...daily('UTC'),
      overrides: [{ contact: 'zoe', from: '2026-01-02T12:00:00Z', to: '2026-01-02T18:00:00Z' }],
    };
    expect(onCallAt(s, '2026-01-02T11:59:00Z')).toBe('ben');
    expect(onCallAt(s, '2026-01-02T12:00:00Z')).toBe('zoe');
    expect(onCallAt(s, '2026-01-02T18:00:00Z')).toBe('ben');
  });

  describe('across DST changes the handoff stays at 09:00 local time', () => {
    it('Europe/Berlin, spring forward (2026-03-29): the handoff moves from 08:00Z to 07:00Z', () => {
      const s = daily('Europe/Berlin');
      expect(onCallAt(s, '2026-03-28T08:00:00Z')).toBe(onCallAt(s, '2026-03-29T06:59:00Z'));
      const before = onCallAt(s, '2026-03-29T06:59:00Z');
      const after = onCallAt(s, '2026-03-29T07:00:00Z');
      expect(after).not.toBe(before);
      expect(onCallAt(s, '2026-03-30T06:59:00Z')).toBe(after);
    });

    it('Europe/Berlin, fall back (2026-10-25): the handoff moves from 07:00Z to 08:00Z', () => {
      const s = daily('Europe/Berlin');
      const before = onCallAt(s, '2026-10-25T07:59:00Z');
      expect(onCallAt(s, '2026-10-24T07:00:00Z')).toBe(before);
      expect(onCallAt(s, '2026-10-25T08:00:00Z')).not.toBe(before);
    });

    it('America/New_York, spring forward (2026-03-08): 09:00 EDT is 13:00Z', () => {
      const s = daily('America/New_York');
      const before = onCallAt(s, '2026-03-08T12:59:00Z');
      expect(onCallAt(s, '2026-03-07T14:00:00Z')).toBe(before);
      expect(onCallAt(s, '2026-03-08T13:00:00Z')).not.toBe(before);
    });

    it('America/New_York, fall back (2026-11-01): 09:00 EST is 14:00Z', () => {
      const s = daily('America/New_York');
      const before = onCallAt(s, '2026-11-01T13:59:00Z');
      expect(onCallAt(s, '2026-10-31T13:00:00Z')).toBe(before);
      expect(onCallAt(s, '2026-11-01T14:00:00Z')).not.toBe(before);
    });

    it('a weekly rotation keeps its Monday 09:00 handoff over the Berlin spring change', () => {
      const s: ScheduleSpec = {
        ...daily('Europe/Berlin'),
        rotation: 'weekly',
        handoffDay: 'monday',
        start: '2026-03-23',
      };
      expect(onCallAt(s, '2026-03-30T06:59:00Z')).toBe('ann');
      expect(onCallAt(s, '2026-03-30T07:00:00Z')).toBe('ben');
    });

    it('a handoff inside the spring-forward gap (02:30 New York on 2026-03-08) happens when the clocks jump', () => {
      const s = daily('America/New_York', '02:30');
      const before = onCallAt(s, '2026-03-08T06:59:00Z');
      expect(onCallAt(s, '2026-03-08T07:30:00Z')).not.toBe(before);
    });
  });

  it('lists the coming shifts across a DST change: the handoff stays at 09:00 local, so that week is an hour shorter', () => {
    const s: ScheduleSpec = {
      ...daily('Europe/Berlin'),
      rotation: 'weekly',
      handoffDay: 'monday',
      start: '2027-01-04',
      members: ['ann', 'ben'],
    };
    // Clocks go forward on Sunday 2027-03-28 in Berlin: Monday 09:00 is 08:00Z before it and 07:00Z after.
    expect(shiftsBetween(s, '2027-03-22T08:00:00Z', '2027-04-05T07:00:00Z')).toEqual([
      // 2027-03-22 is the 12th Monday from the start: ben's week (ann, ben, ann, …).
      { contact: 'ben', from: '2027-03-22T08:00:00.000Z', to: '2027-03-29T07:00:00.000Z', override: false },
      { contact: 'ann', from: '2027-03-29T07:00:00.000Z', to: '2027-04-05T07:00:00.000Z', override: false },
    ]);
  });

  it('cuts shifts at overrides and merges what stays with one person', () => {
    const s: ScheduleSpec = {
      ...daily('UTC'),
      overrides: [{ contact: 'cat', from: '2026-01-02T12:00:00Z', to: '2026-01-02T18:00:00Z' }],
    };
    expect(shiftsBetween(s, '2026-01-01T09:00:00Z', '2026-01-03T09:00:00Z')).toEqual([
      { contact: 'ann', from: '2026-01-01T09:00:00.000Z', to: '2026-01-02T09:00:00.000Z', override: false },
      { contact: 'ben', from: '2026-01-02T09:00:00.000Z', to: '2026-01-02T12:00:00.000Z', override: false },
      { contact: 'cat', from: '2026-01-02T12:00:00.000Z', to: '2026-01-02T18:00:00.000Z', override: true },
      { contact: 'ben', from: '2026-01-02T18:00:00.000Z', to: '2026-01-03T09:00:00.000Z', override: false },
    ]);
  });
});
