import { describe, expect, it } from 'vitest';
import { Scenario } from './support/scenario.ts';
import { at, HOUR, MIN, openP1, P2, roster } from './support/runbook.ts';

describe('runbook: P1 escalation chain', () => {
  it('given a P1 paged to L1 at 10:00, when nobody acknowledges, then L2, L3 and L4 are paged 5 minutes apart', () => {
    const s = new Scenario();
    s.run(openP1());
    s.advanceTo(at('10:20'));
    expect(s.escalations()).toEqual(['10:05 L1->L2 timeout', '10:10 L2->L3 timeout', '10:15 L3->L4 timeout']);
    expect(s.pages()).toEqual([
      '10:00 L1 alice escalation',
      '10:05 L2 tom-lead escalation',
      '10:10 L3 erin-manager escalation',
      '10:15 L4 carl-cto escalation',
    ]);
  });

  it('given a P1 acknowledged at 10:03 but not resolved, then L2 at 10:30, L3 at 11:00 and L4 at 12:00', () => {
    const s = new Scenario();
    s.run(openP1());
    s.advanceTo(at('10:03'));
    s.run({ type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:03') });
    s.advanceTo(at('13:00'));
    expect(s.escalations()).toEqual(['10:30 L1->L2 timeout', '11:00 L2->L3 timeout', '12:00 L3->L4 timeout']);
  });

  it('given an acknowledgement after L2 was paged, then the ack stops the 5-minute chain and only resolution timeouts remain', () => {
    const s = new Scenario();
    s.run(openP1());
    s.advanceTo(at('10:07'));
    s.run({ type: 'Acknowledge', by: 'tom-lead', via: 'voice', at: at('10:07') });
    s.advanceTo(at('11:30'));
    expect(s.escalations()).toEqual(['10:05 L1->L2 timeout', '11:00 L2->L3 timeout']);
  });

  it('given a P1 resolved at 10:40, then nothing more fires, all day', () => {
    const s = new Scenario();
    s.run(openP1());
    s.run({ type: 'Acknowledge', by: 'alice', via: 'api', at: at('10:02') });
    s.advanceTo(at('10:40'));
    s.run({ type: 'Resolve', by: 'alice', via: 'api', at: at('10:40') });
    const before = s.history.length;
    s.advanceTo(at('23:59'));
    expect(s.history.length).toBe(before);
    expect(s.escalations()).toEqual(['10:30 L1->L2 timeout']);
  });

  it('given a security rule that escalated to L3 at once, then only L4 remains and it comes at the ack timeout', () => {
    const s = new Scenario();
    s.run(openP1({ escalateTo: 3 }));
    s.advanceTo(at('12:30'));
    expect(s.escalations()).toEqual(['10:00 L1->L3 rule', '10:05 L3->L4 timeout']);
  });

  it('given the incident is at L4, then a manual escalation is refused: there is no one above the CTO', () => {
    const s = new Scenario();
    s.run(openP1({ escalateTo: 4 }));
    expect(() => s.run({ type: 'Escalate', by: 'alice', roster, at: at('10:01') })).toThrow('AtHighestLevel');
  });

  it('given a manual escalation from L1, then L2 is paged and its own ack timeout is armed', () => {
    const s = new Scenario();
    s.run(openP1());
    s.run({ type: 'Escalate', by: 'alice', roster, at: at('10:02') });
    s.advanceTo(at('10:08'));
    expect(s.escalations()).toEqual(['10:02 L1->L2 manual', '10:07 L2->L3 timeout']);
  });
});

describe('runbook: P2 escalation chain', () => {
  it('given a P2 acknowledged but unresolved, then L2 after 2 h and L3 after 4 h', () => {
    const s = new Scenario();
    s.run(openP1({ severity: 'P2', timings: P2 }));
    s.run({ type: 'Acknowledge', by: 'alice', via: 'email', at: at('10:10') });
    s.advanceTo(at('15:00'));
    expect(s.escalations()).toEqual(['12:00 L1->L2 timeout', '14:00 L2->L3 timeout']);
  });

  it('given a P2 nobody acknowledges, then L2 is paged at the 15-minute ack timeout', () => {
    const s = new Scenario();
    s.run(openP1({ severity: 'P2', timings: P2 }));
    s.advanceTo(at('10:15'));
    expect(s.escalations()).toEqual(['10:15 L1->L2 timeout']);
  });
});

describe('runbook: severities that escalate less', () => {
  const P2_TWO_LEVELS = { ackTimeoutMs: 15 * MIN, escalateAfterMs: [30 * MIN, 2 * HOUR], statusUpdateEveryMs: HOUR };
  const P3_NEVER = { ackTimeoutMs: HOUR, escalateAfterMs: [], statusUpdateEveryMs: 4 * HOUR };
  const P4_NO_ACK_TIMEOUT = { escalateAfterMs: [], statusUpdateEveryMs: 24 * HOUR };

  it('given a P2 with delays [30m, 2h] acknowledged at 10:05, then L2 at 10:30 and L3 at 12:00, and never L4', () => {
    const s = new Scenario();
    s.run(openP1({ severity: 'P2', timings: P2_TWO_LEVELS }));
    s.run({ type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:05') });
    s.advanceTo(at('23:59'));
    expect(s.escalations()).toEqual(['10:30 L1->L2 timeout', '12:00 L2->L3 timeout']);
  });

  it('given a P3 that never escalates by time, acknowledged at 10:20, then nobody above L1 is paged all day', () => {
    const s = new Scenario();
    s.run(openP1({ severity: 'P3', timings: P3_NEVER }));
    s.run({ type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:20') });
    s.advanceTo(at('23:59'));
    expect(s.escalations()).toEqual([]);
    expect(s.pages().filter((p) => !p.includes('status-update'))).toEqual(['10:00 L1 alice escalation']);
  });

  it('given a P3 nobody acknowledges, then only its ack timeout reaches L2, and the L2 ack timeout L3', () => {
    const s = new Scenario();
    s.run(openP1({ severity: 'P3', timings: P3_NEVER }));
    s.advanceTo(at('12:30'));
    expect(s.escalations()).toEqual(['11:00 L1->L2 timeout', '12:00 L2->L3 timeout']);
  });

  it('given a P4 with no ack timeout, then L1 alone is paged, however long nobody answers; by hand it still escalates', () => {
    const s = new Scenario();
    s.run(openP1({ severity: 'P4', timings: P4_NO_ACK_TIMEOUT }));
    s.advanceTo(at('09:00', '2026-11-29'));
    expect(s.escalations()).toEqual([]);
    s.run({ type: 'Escalate', by: 'alice', roster, at: at('09:01', '2026-11-29') });
    expect(s.escalations()).toEqual(['09:01 L1->L2 manual']);
  });
});

describe('runbook: status-update reminders', () => {
  it('reminds the current level every 30 minutes on a P1, following the escalation', () => {
    const s = new Scenario();
    s.run(openP1());
    s.run({ type: 'Acknowledge', by: 'alice', via: 'api', at: at('10:01') });
    s.advanceTo(at('11:30'));
    // At 10:30 the L2 resolution timeout fires first, so the reminder goes to the team lead.
    expect(s.pages().filter((p) => p.endsWith('status-update'))).toEqual([
      '10:30 L2 tom-lead status-update',
      '11:00 L3 erin-manager status-update',
      '11:30 L3 erin-manager status-update',
    ]);
  });

  it('sends no reminder once the incident is resolved', () => {
    const s = new Scenario();
    s.run(openP1());
    s.run({ type: 'Acknowledge', by: 'alice', via: 'api', at: at('10:01') });
    s.advanceTo(at('10:29'));
    s.run({ type: 'Resolve', by: 'alice', via: 'api', at: at('10:29') });
    s.advanceTo(at('12:00'));
    expect(s.pages().filter((p) => p.endsWith('status-update'))).toEqual([]);
  });
});
