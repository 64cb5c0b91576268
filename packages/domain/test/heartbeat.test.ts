import { describe, expect, it } from 'vitest';
import {
  decideHeartbeat,
  evolveHeartbeat,
  heartbeatAlert,
  heartbeatDueAt,
  initialHeartbeatState,
  type HeartbeatCommand,
  type HeartbeatEvent,
  type HeartbeatState,
  type HeartbeatTimings,
} from '../src/index.ts';

const MIN = 60_000;
/** Alertmanager's Watchdog, re-sent every minute, missed after two more minutes. */
const watchdog: HeartbeatTimings = { intervalMs: MIN, graceMs: 2 * MIN };

const given = (events: HeartbeatEvent[]): HeartbeatState => events.reduce(evolveHeartbeat, initialHeartbeatState());
const when = (state: HeartbeatState, command: HeartbeatCommand, t = watchdog) => {
  const decision = decideHeartbeat(command, state, t);
  if (!decision.ok) throw new Error('refused');
  return decision.value;
};
const armed = { type: 'HeartbeatArmed', data: { at: '2027-03-01T10:00:00.000Z' } } as const;
const beat = (at: string) => ({ type: 'HeartbeatBeat', data: { at } }) as const;

describe('a heartbeat monitor, as the runbook reads it', () => {
  it('given a monitor armed at 10:00 that never beat, when checked at 10:03, then it is missed, due at 10:03', () => {
    expect(when(given([armed]), { type: 'Check', at: '2027-03-01T10:02:59.999Z' })).toEqual([]);
    expect(when(given([armed]), { type: 'Check', at: '2027-03-01T10:03:00.000Z' })).toEqual([
      { type: 'HeartbeatMissed', data: { dueAt: '2027-03-01T10:03:00.000Z', at: '2027-03-01T10:03:00.000Z' } },
    ]);
  });

  it('given beats every minute, then a check never finds a miss, and the next beat is due 3 minutes after the last', () => {
    const state = given([armed, beat('2027-03-01T10:01:00.000Z'), beat('2027-03-01T10:02:00.000Z')]);
    expect(when(state, { type: 'Check', at: '2027-03-01T10:04:59.000Z' })).toEqual([]);
    expect(heartbeatDueAt(state, watchdog)).toBe('2027-03-01T10:05:00.000Z');
  });

  it('given a miss, when a check comes again, then nothing more is written: a miss is raised once', () => {
    const missed = given([armed, { type: 'HeartbeatMissed', data: { dueAt: armed.data.at, at: armed.data.at } }]);
    expect(when(missed, { type: 'Check', at: '2027-03-01T12:00:00.000Z' })).toEqual([]);
  });

  it('given a miss, when the source beats again, then the beat is written and closes the miss', () => {
    const missed = given([
      armed,
      { type: 'HeartbeatMissed', data: { dueAt: '2027-03-01T10:03:00.000Z', at: '2027-03-01T10:03:00.000Z' } },
    ]);
    const events = when(missed, { type: 'Beat', at: '2027-03-01T10:03:01.000Z' });
    expect(events).toEqual([beat('2027-03-01T10:03:01.000Z')]);
    expect(given([armed, ...events]).missedAt).toBeUndefined();
  });

  it('given an integration whose every alert is a beat, when a storm of alerts comes in a second, then one beat is written', () => {
    let state = given([armed]);
    const written: HeartbeatEvent[] = [];
    for (let ms = 0; ms < 1000; ms += 10) {
      const events = when(state, { type: 'Beat', at: new Date(Date.parse('2027-03-01T10:00:30Z') + ms).toISOString() });
      written.push(...events);
      state = events.reduce(evolveHeartbeat, state);
    }
    expect(written).toEqual([beat('2027-03-01T10:00:30.000Z')]);
  });

  it('a beat of a monitor never armed arms it too; arming twice writes nothing', () => {
    expect(when(initialHeartbeatState(), { type: 'Beat', at: armed.data.at })).toEqual([armed, beat(armed.data.at)]);
    expect(when(given([armed]), { type: 'Arm', at: '2027-03-02T00:00:00.000Z' })).toEqual([]);
  });

  it('a miss is an alert named HeartbeatMissed with the monitor and its labels, starting when it fell due', () => {
    const alert = heartbeatAlert('prometheus', { team: 'sre' }, '2027-03-01T10:03:00.000Z', 'firing', 'x');
    expect(alert).toMatchObject({
      labels: { alertname: 'HeartbeatMissed', heartbeat: 'prometheus', team: 'sre' },
      startsAt: '2027-03-01T10:03:00.000Z',
      groupKey: 'heartbeat:prometheus',
      status: 'firing',
    });
  });
});
