import { describe, expect, it } from 'vitest';
import { decide, evolveAll, initialState, pendingTimers, type IncidentEvent } from '../src/index.ts';
import { given } from './support/given-when-then.ts';
import { at, openedP1, openP1, P1, P3, roster } from './support/runbook.ts';

const history = (): IncidentEvent[] => openedP1();
const acked: IncidentEvent = { type: 'Acknowledged', data: { by: 'alice', via: 'sms', at: at('10:03') } };
const resolved: IncidentEvent = { type: 'Resolved', data: { by: 'alice', via: 'api', at: at('10:40') } };

describe('acknowledging', () => {
  it('records who acknowledged, how and when', () => {
    given(...history())
      .when({ type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:03') })
      .then([acked]);
  });

  it('disarms the ack timeout but keeps the resolution timeouts', () => {
    const state = evolveAll([...history(), acked], initialState());
    expect(pendingTimers(state).map((t) => (t.kind === 'escalation' ? `${t.reason} L${t.level}` : t.kind))).toEqual([
      'resolution-timeout L2',
      'status-update',
      'resolution-timeout L3',
      'resolution-timeout L4',
    ]);
  });

  it('refuses a second acknowledgement, naming who acknowledged first', () => {
    const state = evolveAll([...history(), acked], initialState());
    expect(decide({ type: 'Acknowledge', by: 'bob', via: 'api', at: at('10:04') }, state)).toEqual({
      ok: false,
      error: { code: 'AlreadyAcknowledged', incidentId: 'inc-1', by: 'alice' },
    });
  });
});

describe('single-use acknowledgement links', () => {
  it('refuses a link whose ref was already used, even after the incident was reopened', () => {
    given(
      ...history(),
      { type: 'Acknowledged', data: { by: 'alice', via: 'email', ref: 'link-1', at: at('10:03') } },
      resolved,
      { type: 'Reopened', data: { by: 'alice', at: at('11:00') } },
    )
      .when({ type: 'Acknowledge', by: 'alice', via: 'email', ref: 'link-1', at: at('11:01') })
      .thenFails('RefAlreadyUsed');
  });
});

describe('resolving and reopening', () => {
  it('resolves and stops every timer', () => {
    const state = evolveAll([...history(), resolved], initialState());
    expect(state.exists && state.status).toBe('resolved');
    expect(pendingTimers(state)).toEqual([]);
  });

  it('tells each paged contact once that the incident is resolved, never by phone call', () => {
    given(
      ...history(),
      {
        type: 'PageRequested',
        data: { pageId: 'p2', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('10:05') },
      },
      {
        type: 'PageRequested',
        data: {
          pageId: 'p3',
          level: 3,
          contact: 'erin-manager',
          channel: 'voice',
          purpose: 'escalation',
          at: at('10:06'),
        },
      },
    )
      .when({ type: 'Resolve', by: 'alice', via: 'api', at: at('10:40') })
      .then([
        resolved,
        {
          type: 'PageRequested',
          data: { pageId: 'p4', level: 1, contact: 'alice', channel: 'sms', purpose: 'resolution', at: at('10:40') },
        },
      ]);
  });

  it('reopens a resolved incident: pages the current level again and re-arms its timers', () => {
    given(...history(), resolved)
      .when({ type: 'Reopen', by: 'alice', roster, at: at('11:00') })
      .then([
        { type: 'Reopened', data: { by: 'alice', at: at('11:00') } },
        {
          type: 'PageRequested',
          data: { pageId: 'p2', level: 1, contact: 'alice', channel: 'sms', purpose: 'escalation', at: at('11:00') },
        },
        { type: 'EscalationScheduled', data: { timerId: 't5', level: 2, dueAt: at('11:05'), reason: 'ack-timeout' } },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't6', level: 2, dueAt: at('11:30'), reason: 'resolution-timeout' },
        },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't7', level: 3, dueAt: at('12:00'), reason: 'resolution-timeout' },
        },
        {
          type: 'EscalationScheduled',
          data: { timerId: 't8', level: 4, dueAt: at('13:00'), reason: 'resolution-timeout' },
        },
        { type: 'StatusUpdateScheduled', data: { dueAt: at('11:30') } },
      ]);
  });
});

describe('status updates', () => {
  it('posting an update moves the next reminder a full cadence later', () => {
    given(...history())
      .when({ type: 'PostStatusUpdate', by: 'alice', text: 'Disk cleaned, watching', at: at('10:20') })
      .then([
        { type: 'StatusUpdatePosted', data: { by: 'alice', text: 'Disk cleaned, watching', at: at('10:20') } },
        { type: 'StatusUpdateScheduled', data: { dueAt: at('10:50') } },
      ]);
  });

  it('ignores a reminder that a posted update already replaced', () => {
    given(...history(), { type: 'StatusUpdateScheduled', data: { dueAt: at('10:50') } })
      .when({ type: 'FireStatusUpdateTimer', dueAt: at('10:30'), roster, at: at('10:30') })
      .thenNothing();
  });
});

describe('changing severity', () => {
  it('refuses a change to the severity the incident already has', () => {
    given(...history())
      .when({ type: 'ChangeSeverity', severity: 'P1', timings: P1, by: 'alice', at: at('10:10') })
      .thenFails('SeverityUnchanged');
  });

  it('re-arms escalations from the new timings, so overdue levels come due at once', () => {
    const p3 = decide(openP1({ severity: 'P3', timings: P3 }), initialState());
    if (!p3.ok) throw new Error('open failed');
    const state = evolveAll(p3.value, initialState());
    const result = decide({ type: 'ChangeSeverity', severity: 'P1', timings: P1, by: 'alice', at: at('11:10') }, state);
    if (!result.ok) throw new Error(result.error.code);
    const after = evolveAll(result.value, state);
    expect(pendingTimers(after).map((t) => `${t.kind} ${t.dueAt.slice(11, 16)}`)).toEqual([
      'escalation 10:30',
      'escalation 11:00',
      'escalation 11:15',
      'status-update 11:40',
      'escalation 12:00',
    ]);
  });
});
