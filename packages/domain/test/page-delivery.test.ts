import { describe, expect, it } from 'vitest';
import {
  decide,
  evolveAll,
  initialState,
  pagesToSend,
  pendingTimers,
  type IncidentCommand,
  type IncidentState,
} from '../src/index.ts';
import { given } from './support/given-when-then.ts';
import { at, openedP1, openP1 } from './support/runbook.ts';

function apply(state: IncidentState, command: IncidentCommand): IncidentState {
  const result = decide(command, state);
  if (!result.ok) throw new Error(result.error.code);
  return evolveAll(result.value, state);
}

describe('paging is at-least-once', () => {
  it('a requested page without an outcome is still to be sent, as after a crash between intent and call', () => {
    const state = apply(initialState(), openP1());
    expect(pagesToSend(state, at('10:00')).map((p) => p.pageId)).toEqual(['p1']);
  });

  it('a delivered page is not sent again', () => {
    const state = apply(apply(initialState(), openP1()), {
      type: 'RecordPageDelivered',
      pageId: 'p1',
      providerId: 'SM1',
      at: at('10:00'),
    });
    expect(pagesToSend(state, at('10:00'))).toEqual([]);
  });

  it('a retryable failure retries after 30 s, 1 min, 2 min, then gives the contact up as unreachable', () => {
    let state = apply(initialState(), openP1());
    const fail = (when: string) =>
      (state = apply(state, { type: 'RecordPageFailed', pageId: 'p1', error: 'HTTP 503', retryable: true, at: when }));
    fail('2026-11-22T10:00:00.000Z');
    expect(pendingTimers(state)[0]).toEqual({ kind: 'page-retry', pageId: 'p1', dueAt: '2026-11-22T10:00:30.000Z' });
    expect(pagesToSend(state, '2026-11-22T10:00:29.000Z')).toEqual([]);
    expect(pagesToSend(state, '2026-11-22T10:00:30.000Z').map((p) => p.pageId)).toEqual(['p1']);
    fail('2026-11-22T10:00:30.000Z');
    expect(pendingTimers(state)[0]?.dueAt).toBe('2026-11-22T10:01:30.000Z');
    fail('2026-11-22T10:01:30.000Z');
    expect(pendingTimers(state)[0]?.dueAt).toBe('2026-11-22T10:03:30.000Z');

    given(...openedP1())
      .when({ type: 'RecordPageFailed', pageId: 'p1', error: 'invalid number', retryable: false, at: at('10:00') })
      .then([
        {
          type: 'PageFailed',
          data: { pageId: 'p1', error: 'invalid number', retryable: false, attempt: 1, at: at('10:00') },
        },
        { type: 'ContactUnreachable', data: { contact: 'alice', level: 1, at: at('10:00') } },
      ]);
    const final = apply(state, {
      type: 'RecordPageFailed',
      pageId: 'p1',
      error: 'HTTP 503',
      retryable: true,
      at: '2026-11-22T10:03:30.000Z',
    });
    expect(final.exists && final.pages.p1?.outcome).toBe('failed');
    expect(pendingTimers(final).some((t) => t.kind === 'page-retry')).toBe(false);
  });

  it('an escalation page is not retried once someone acknowledged', () => {
    let state = apply(initialState(), openP1());
    state = apply(state, {
      type: 'RecordPageFailed',
      pageId: 'p1',
      error: 'timeout',
      retryable: true,
      at: at('10:00'),
    });
    state = apply(state, { type: 'Acknowledge', by: 'alice', via: 'email', at: at('10:00') });
    expect(pagesToSend(state, at('10:05'))).toEqual([]);
  });
});
