import type { KlaxonConfig } from '@klaxon/config';
import { tempDir, VirtualClock } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const BOB = '+15550100002';

/** bob asks to hear of each shift an hour before; his week on `primary` starts Monday 30 November, 09:00 UTC. */
const withNotices = (): KlaxonConfig => {
  const base = testConfig();
  return { ...base, contacts: { ...base.contacts, bob: { ...base.contacts.bob!, shiftNotice: 3_600_000 } } };
};

const bobsNotices = (h: Harness) =>
  h.providers.twilio.messages().filter((m) => m.To === BOB && /your on-call shift/.test(m.Body));

async function at(h: Harness, instant: string) {
  h.clock.set(instant);
  await h.service.shiftNotices.runDue();
}

it('given bob on call from Monday 09:00 with a 1 h notice, then one SMS at 08:00, not before, and not again, across a restart', async () => {
  const dir = tempDir('klaxon-shift-notices-');
  const providers = await startProviders();
  const clock = new VirtualClock('2026-11-30T07:00:00Z');
  const first = await startEscalation({ dir, providers, clock, config: withNotices() });
  expect(first.service.shiftNotices.nextDueAt()).toBe(Date.parse('2026-11-30T08:00:00Z'));
  await at(first, '2026-11-30T07:59:59Z');
  expect(bobsNotices(first)).toEqual([]);
  await at(first, '2026-11-30T08:00:00Z');
  expect(bobsNotices(first).map((m) => m.Body)).toEqual([
    'Klaxon: your on-call shift on primary starts at 2026-11-30 09:00Z (in 60 min) and runs until 2026-12-07 09:00Z.',
  ]);
  await at(first, '2026-11-30T08:30:00Z');
  await first.stop();

  const second = await startEscalation({ dir, providers, clock, config: withNotices() });
  await at(second, '2026-11-30T08:45:00Z');
  expect(bobsNotices(second)).toHaveLength(1);
  // alice asked for nothing: her shifts pass without a word.
  expect(providers.twilio.messages().filter((m) => m.To === '+15550100001')).toEqual([]);
  await second.close();
  await providers.close();
  dir.remove();
});

it('given Klaxon down from 07:55 to 08:40, then the notice due at 08:00 goes out when it is back (the shift is still ahead), and two instances send it once', async () => {
  const dir = tempDir('klaxon-shift-notices-');
  const providers = await startProviders();
  const clock = new VirtualClock('2026-11-30T08:40:00Z');
  const one = await startEscalation({ dir, providers, clock, config: withNotices() });
  const two = await startEscalation({ dir, providers, clock, config: withNotices(), consumerGroup: 'two' });
  await Promise.all([one.service.shiftNotices.runDue(), two.service.shiftNotices.runDue()]);
  expect(bobsNotices(one).map((m) => m.Body)).toEqual([expect.stringContaining('(in 20 min)')]);
  await two.stop();
  await one.close();
  await providers.close();
  dir.remove();
});
