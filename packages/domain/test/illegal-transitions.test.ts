import { describe, it } from 'vitest';
import type { IncidentCommand, IncidentEvent } from '../src/index.ts';
import { given } from './support/given-when-then.ts';
import { at, openedP1, P2, roster } from './support/runbook.ts';

const opened = (): IncidentEvent[] => openedP1();
const resolved: IncidentEvent = { type: 'Resolved', data: { by: 'alice', via: 'api', at: at('10:40') } };
const t = at('10:50');

describe('commands that make no sense are refused with a typed error', () => {
  const onResolved: Array<[string, IncidentCommand]> = [
    ['acknowledge', { type: 'Acknowledge', by: 'bob', via: 'api', at: t }],
    ['resolve again', { type: 'Resolve', by: 'bob', via: 'api', at: t }],
    ['escalate', { type: 'Escalate', by: 'bob', roster, at: t }],
    ['post a status update', { type: 'PostStatusUpdate', by: 'bob', text: 'x', at: t }],
    ['change severity', { type: 'ChangeSeverity', severity: 'P2', timings: P2, by: 'bob', at: t }],
  ];
  for (const [what, command] of onResolved) {
    it(`a resolved incident refuses to ${what}`, () => {
      given(...opened(), resolved)
        .when(command)
        .thenFails('IncidentResolved');
    });
  }

  const onAbsent: IncidentCommand[] = [
    { type: 'Acknowledge', by: 'bob', via: 'api', at: t },
    { type: 'Resolve', by: 'bob', via: 'api', at: t },
    { type: 'Reopen', by: 'bob', roster, at: t },
    { type: 'Escalate', by: 'bob', roster, at: t },
    { type: 'AttachAlert', fingerprint: 'f', status: 'firing', startsAt: t, at: t },
    { type: 'RecordPageDelivered', pageId: 'p1', providerId: 'SM1', at: t },
  ];
  for (const command of onAbsent) {
    it(`an incident that was never opened refuses ${command.type}`, () => {
      given().when(command).thenFails('IncidentNotFound');
    });
  }

  it('an open incident cannot be reopened', () => {
    given(...opened())
      .when({ type: 'Reopen', by: 'bob', roster, at: t })
      .thenFails('NotResolved');
  });

  it('escalating past L4 is refused', () => {
    given(...opened(), {
      type: 'Escalated',
      data: { fromLevel: 1, toLevel: 4, reason: 'manual', by: 'alice', at: at('10:01') },
    })
      .when({ type: 'Escalate', by: 'alice', roster, at: t })
      .thenFails('AtHighestLevel');
  });

  it('an outcome for a page that was never requested is refused', () => {
    given(...opened())
      .when({ type: 'RecordPageDelivered', pageId: 'p99', providerId: 'SM1', at: t })
      .thenFails('UnknownPage');
  });

  it('a second outcome for a delivered page is refused, so a retried callback is harmless', () => {
    given(...opened(), { type: 'PageDelivered', data: { pageId: 'p1', providerId: 'SM1', at: at('10:00') } })
      .when({ type: 'RecordPageFailed', pageId: 'p1', error: 'late', retryable: true, at: t })
      .thenFails('PageOutcomeRecorded');
  });

  it('a timer that a racing instance already fired does nothing', () => {
    given(...opened(), {
      type: 'Escalated',
      data: { fromLevel: 1, toLevel: 2, reason: 'timeout', timerId: 't1', at: at('10:05') },
    })
      .when({ type: 'FireEscalationTimer', timerId: 't1', roster, at: at('10:05') })
      .thenNothing();
  });
});
