import { decideAndFold, initialState, type IncidentCommand, type IncidentState } from '@klaxon/domain';
import pino from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { afterCommitStep } from '../src/after-commit/after-commit.ts';
import { IncidentIndex } from '../src/state/incident-index.ts';

const AT = '2026-11-23T10:00:00.000Z';
const L3 = { contact: 'erin', channel: 'voice' as const };
const openSecurityBreach: IncidentCommand = {
  type: 'OpenIncident',
  incidentId: 'breach-1',
  number: 1,
  groupKey: '{}:{alertname="Intrusion"}',
  severity: 'P1',
  service: 'auth',
  title: 'Intrusion',
  labels: { alertname: 'Intrusion', category: 'security' },
  source: 'alertmanager',
  fingerprint: 'f1',
  alertStartsAt: AT,
  policy: 'default',
  timings: { ackTimeoutMs: 300_000, escalateAfterMs: [], statusUpdateEveryMs: 1_800_000 },
  roster: { L1: [{ contact: 'alice', channel: 'sms' }], L2: [], L3: [L3], L4: [] },
  escalateTo: 3,
  at: AT,
};

function step() {
  const registry = new Registry();
  const counter = (name: string, label: string) =>
    new Counter({ name, help: name, labelNames: [label], registers: [registry] });
  const opened = counter('opened', 'severity');
  const escalations = counter('escalations', 'reason');
  const index = new IncidentIndex();
  const offered: string[] = [];
  const rearmed: string[] = [];
  const afterCommit = afterCommitStep({
    index,
    timers: { changed: (id) => void rearmed.push(id) },
    outbound: { offer: (id) => void offered.push(id) },
    owns: () => true,
    reread: () => Promise.resolve(),
    logger: pino({ level: 'silent' }),
    incidentsOpened: opened,
    escalations,
  });
  const total = async (c: Counter) => (await c.get()).values.reduce((sum, v) => sum + v.value, 0);
  return { afterCommit, index, offered, rearmed, opened: () => total(opened), escalated: () => total(escalations) };
}

const opening = () => {
  const decided = decideAndFold(openSecurityBreach, initialState());
  if (!decided.ok) throw new Error(decided.error.code);
  const events = decided.value.events.map((event, revision) => ({ revision, event }));
  const base = { state: initialState() as IncidentState, revision: -1, after: decided.value.state };
  return { events, base };
};

describe('after the commit', () => {
  it('a security breach opened here is noted once as opened and escalated to L3, even when the subscription folded its events first', async () => {
    const s = step();
    s.afterCommit.goLive();
    const { events, base } = opening();
    s.afterCommit.observed('breach-1', events);
    s.afterCommit.committed('breach-1', events, base);
    expect(s.index.get('breach-1')?.state.level).toBe(3);
    expect(await s.opened()).toBe(1);
    expect(await s.escalated()).toBe(1);
    // Its pages are offered once, when the events were first folded.
    expect(s.offered).toEqual(['breach-1']);
  });

  it("another instance's commit is folded and followed, but not noted here", async () => {
    const s = step();
    s.afterCommit.goLive();
    s.afterCommit.observed('breach-1', opening().events);
    expect(s.index.get('breach-1')).toBeDefined();
    expect(s.offered).toEqual(['breach-1']);
    expect(await s.opened()).toBe(0);
    expect(await s.escalated()).toBe(0);
  });

  it('while the store is replayed, the timer runner hears of changes but no page is offered', () => {
    const s = step();
    const { events, base } = opening();
    s.afterCommit.committed('breach-1', events, base);
    expect(s.rearmed).toEqual(['breach-1']);
    expect(s.offered).toEqual([]);
  });
});
