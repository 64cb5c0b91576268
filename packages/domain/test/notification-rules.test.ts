import { describe, expect, it } from 'vitest';
import {
  commandForTimer,
  decide,
  evolveAll,
  initialState,
  instantMs,
  pendingTimers,
  rosterFor,
  type ContactSpec,
  type IncidentCommand,
  type IncidentEvent,
  type IncidentState,
  type PolicySpec,
} from '../src/index.ts';
import { at, MIN, openP1, P1 } from './support/runbook.ts';

const P4 = { escalateAfterMs: [], statusUpdateEveryMs: 24 * 60 * MIN, urgency: 'low' as const };
const HIGH_P1 = { ...P1, urgency: 'high' as const };
const REMIND_20 = { ...HIGH_P1, statusUpdateEveryMs: 20 * MIN };

/** Alice: "push first, a text a minute later, call me at three minutes"; low urgency by email, quiet at night. */
const alice: ContactSpec = {
  phone: '+15550100001',
  email: 'alice@example.com',
  timezone: 'Europe/Berlin',
  methods: [{ id: 'pager', type: 'push', to: 'https://ntfy.example.com/alice-pager' }],
  rules: {
    high: [
      { afterMs: 0, method: 'push' },
      { afterMs: MIN, method: 'sms' },
      { afterMs: 3 * MIN, method: 'voice' },
    ],
    low: [{ afterMs: 0, method: 'email' }],
  },
  quietHours: { from: '22:00', to: '07:00' },
};
const policy: PolicySpec = {
  levels: {
    L1: { targets: ['contact:alice'], channels: ['sms', 'email'] },
    L3: { targets: ['contact:erin'], channels: ['voice'] },
  },
};
const contacts = { alice, erin: { phone: '+15550100004', timezone: 'UTC' } };
const rosterAt = (instant: string) => rosterFor(policy, contacts, {}, instant);

/** A tiny runner: commands applied in order, every timer fired at its due time up to each command's instant. */
function run(commands: IncidentCommand[], until: string) {
  let state: IncidentState = initialState();
  const events: IncidentEvent[] = [];
  const apply = (command: IncidentCommand) => {
    const decision = decide(command, state);
    if (!decision.ok) throw new Error(decision.error.code);
    events.push(...decision.value);
    state = evolveAll(decision.value, state);
  };
  const fireUntil = (instant: string) => {
    for (;;) {
      const due = pendingTimers(state).find((t) => t.kind !== 'page-retry' && instantMs(t.dueAt) <= instantMs(instant));
      if (!due) return;
      apply(commandForTimer(due, rosterAt(due.dueAt), due.dueAt)!);
    }
  };
  for (const command of commands) {
    if ('at' in command) fireUntil(command.at);
    apply(command);
  }
  fireUntil(until);
  const pages = events.flatMap((e) => (e.type === 'PageRequested' ? [e.data] : []));
  return { pages: pages.map((p) => `${p.at.slice(11, 16)} ${p.contact} ${p.channel} ${p.purpose}`), state };
}

describe("a person's notification rules", () => {
  it('given a P1 at 10:00 and alice paged push at 0, SMS at +1 min, voice at +3 min, when she acknowledges at 10:02, then nobody calls her', () => {
    const { pages, state } = run(
      [
        openP1({ timings: HIGH_P1, roster: rosterAt(at('10:00')) }),
        { type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:02') },
      ],
      at('10:30'),
    );
    expect(pages).toEqual(['10:00 alice push escalation', '10:01 alice sms escalation']);
    expect(pendingTimers(state).filter((t) => t.kind === 'page-step')).toEqual([]);
  });

  it('unacknowledged, the chain runs to its end: push at 10:00, SMS at 10:01, the call at 10:03, and the push went to her ntfy topic', () => {
    const { pages, state } = run([openP1({ timings: HIGH_P1, roster: rosterAt(at('10:00')) })], at('10:04'));
    expect(pages).toEqual([
      '10:00 alice push escalation',
      '10:01 alice sms escalation',
      '10:03 alice voice escalation',
    ]);
    expect(state.exists && Object.values(state.pages)[0]).toMatchObject({
      method: 'pager',
      to: 'https://ntfy.example.com/alice-pager',
    });
  });

  it("given alice's quiet hours 22:00–07:00 Berlin, a P4 at 23:30 Berlin waits until 07:00 Berlin; a P1 at the same moment goes out at once", () => {
    const night = at('22:30');
    const p4 = run(
      [openP1({ severity: 'P4', timings: P4, roster: rosterAt(night), at: night })],
      at('06:30', '2026-11-23'),
    );
    expect(p4.pages).toEqual(['06:00 alice email escalation']);
    const p1 = run([openP1({ timings: HIGH_P1, roster: rosterAt(night), at: night })], at('22:31'));
    expect(p1.pages).toEqual(['22:30 alice push escalation', '22:31 alice sms escalation']);
  });

  it('a step naming a type pages every verified method of it: the phone alice added and verified beside her klaxon.yaml phone', () => {
    const second = { id: 'm_second', type: 'sms' as const, to: '+15550100077' };
    const roster = rosterFor(policy, contacts, {}, at('10:00'), (person) => (person === 'alice' ? [second] : []));
    expect(roster.plans?.alice?.high[1]?.targets).toEqual([
      { contact: 'alice', channel: 'sms' },
      { contact: 'alice', channel: 'sms', method: 'm_second', to: '+15550100077' },
    ]);
    const byId = { ...contacts, alice: { ...alice, rules: { high: [{ afterMs: 0, method: 'm_second' }] } } };
    expect(rosterFor(policy, byId, {}, at('10:00'), () => [second]).plans?.alice?.high).toEqual([
      { afterMs: 0, targets: [{ contact: 'alice', channel: 'sms', method: 'm_second', to: '+15550100077' }] },
    ]);
  });

  it('a person without rules gets the level channels at once, as before rules existed', () => {
    const noRules = { ...contacts, alice: { ...alice, rules: undefined } };
    const roster = rosterFor(policy, noRules, {}, at('10:00'));
    expect(run([openP1({ timings: HIGH_P1, roster })], at('10:00')).pages).toEqual([
      '10:00 alice sms escalation',
      '10:00 alice email escalation',
    ]);
  });

  // Reminders every 20 minutes, before the first resolution timeout (30 min) moves the level.
  it('a status-update reminder is no emergency: at L3 erin (voice only) gets a text, never a call; alice gets her low-urgency email', () => {
    const open = openP1({ timings: REMIND_20, roster: rosterAt(at('10:00')), escalateTo: 3 });
    const { pages } = run([open, { type: 'Acknowledge', by: 'erin', via: 'voice', at: at('10:02') }], at('10:20'));
    expect(pages.filter((p) => p.endsWith('status-update'))).toEqual(['10:20 erin sms status-update']);
    const l1 = run(
      [
        openP1({ timings: REMIND_20, roster: rosterAt(at('10:00')) }),
        { type: 'Acknowledge', by: 'alice', via: 'sms', at: at('10:02') },
      ],
      at('10:20'),
    );
    expect(l1.pages.filter((p) => p.endsWith('status-update'))).toEqual(['10:20 alice email status-update']);
  });
});
