import { parseConfig } from '@klaxon/config';
import { RUNBOOK_SEVERITIES_YAML, tempDir, VirtualClock } from '@klaxon/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { signedSmsReply, startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { API_TOKEN } from './support/test-config.ts';

const ALICE = '+15550100001';
const BOB = '+15550100002';
const TOM = '+15550100003';
const at = (hhmm: string) => `2026-11-23T${hhmm}:00.000Z`;

/**
 * Alice and bob rotate weekly on `primary` (alice's week from Monday 2026-11-23 09:00 UTC); tom is L2 of
 * the default policy and L1 of `relay`, whose L2 is the schedule. Erin is an admin, carl only watches.
 */
const onCallConfig = () =>
  parseConfig(
    `${RUNBOOK_SEVERITIES_YAML}contacts:
  alice: { phone: "${ALICE}", timezone: Europe/Berlin }
  bob:   { phone: "${BOB}", timezone: America/New_York }
  tom:   { phone: "${TOM}" }
  erin:  { phone: "+15550100004", role: admin }
  carl:  { phone: "+15550100005", role: viewer }
schedules:
  primary: { timezone: UTC, rotation: weekly, handoffDay: monday, handoff: "09:00", start: 2026-11-23, members: [alice, bob] }
policies:
  default:
    levels:
      L1: { targets: [schedule:primary], channels: [sms] }
      L2: { targets: [contact:tom], channels: [sms] }
  relay:
    levels:
      L1: { targets: [contact:tom], channels: [sms] }
      L2: { targets: [schedule:primary], channels: [sms] }
routes:
  - { match: { team: night }, policy: relay }
  - { match: {}, policy: default }
severityFrom:
  severity: { critical: P1 }
integrations:
  alertmanager: { token: "am-token-0123456789abcdef" }
api:
  tokens: ["${API_TOKEN}"]
`,
    'oncall-test.yaml',
    {},
  );

const sms = (h: Harness, to: string) => h.providers.twilio.messages().filter((m) => m.To === to);
const pages = (h: Harness, to: string) => sms(h, to).filter((m) => !m.Body.includes('changed primary'));
const notices = (h: Harness, to: string) => sms(h, to).filter((m) => m.Body.includes('changed primary'));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
const call = async (h: Harness, token: string, method: string, path: string, body?: unknown): Promise<any> => {
  const response = await fetch(`${h.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await h.service.drained();
  return { status: response.status, json: await response.json() };
};
const tokenFor = async (h: Harness, person: string): Promise<string> =>
  (await call(h, API_TOKEN, 'POST', `/api/v1/people/${person}/tokens`, { name: 'test' })).json.token;

describe('on-call that people change themselves', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('bob texts "take 1h" at 10:01: the next alert and a pending escalation page bob; after the hour, alice again', async () => {
    h = await startEscalation({ start: at('10:00'), config: onCallConfig() });
    // Given tom paged at 10:00 for a relay incident whose L2 (the schedule) is due at 10:05.
    await h.alert({ alertname: 'NightJob', team: 'night', severity: 'critical' });
    expect(pages(h, TOM)).toHaveLength(1);

    await h.advanceTo(at('10:01'));
    expect(await signedSmsReply(h, BOB, 'take 1h')).toContain(
      'you are on call for primary until Mon 23 Nov 06:01 (America/New_York)',
    );
    // Alice loses an hour through bob's change: she is told who changed what; bob, who made it, is not.
    expect(notices(h, BOB)).toEqual([]);
    expect(notices(h, ALICE).map((m) => m.Body)).toEqual([
      'Klaxon: bob changed primary: you are no longer on call Mon 23 Nov 11:01–12:01 (Europe/Berlin).',
    ]);

    await h.advanceTo(at('10:02'));
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(pages(h, BOB)).toHaveLength(1);
    expect(pages(h, ALICE)).toHaveLength(0);

    await h.advanceTo(at('10:05'));
    expect(pages(h, BOB)).toHaveLength(2);
    expect(pages(h, BOB)[1]!.Body).toContain('NightJob');

    await h.advanceTo(at('11:01'));
    await h.alert({ alertname: 'PaymentsDown', severity: 'critical' });
    expect(pages(h, ALICE).map((m) => m.Body)).toEqual([expect.stringContaining('PaymentsDown')]);
    expect(pages(h, BOB)).toHaveLength(2);
  });

  it('"take until 08:00" is read in the sender\'s zone; a text that is no take still gets the reply codes', async () => {
    h = await startEscalation({ start: at('10:00'), config: onCallConfig() });
    // 10:00 UTC is 05:00 in New York: until 08:00 there is 13:00 UTC.
    expect(await signedSmsReply(h, BOB, 'Take until 08:00')).toContain('until Mon 23 Nov 08:00 (America/New_York)');
    const { json } = await h.api('GET', '/api/v1/schedules/primary');
    expect(json.overrides).toEqual([
      expect.objectContaining({
        person: 'bob',
        start: at('10:00'),
        end: at('13:00'),
        actor: { kind: 'phone', name: 'bob' },
      }),
    ]);
    expect(await signedSmsReply(h, BOB, 'take soon')).toContain('Klaxon: not taken');
    expect(await signedSmsReply(h, BOB, 'take 2h backup')).toContain('not taken: there is no schedule "backup"');
    expect(await signedSmsReply(h, BOB, 'hello')).toContain('reply &lt;number&gt;a to acknowledge');
  });

  it('who may: a responder takes and gives away their own shift, an admin anything, a viewer nothing', async () => {
    h = await startEscalation({ start: at('10:00'), config: onCallConfig() });
    const [alice, bob, erin, carl] = (await Promise.all(
      ['alice', 'bob', 'erin', 'carl'].map((p) => tokenFor(h, p)),
    )) as [string, string, string, string];
    const window = { start: at('12:00'), end: at('14:00') };

    expect(await call(h, carl, 'POST', '/api/v1/schedules/primary/take', { until: '2h' })).toMatchObject({
      status: 403,
      json: { required: 'responder' },
    });
    expect(
      (await call(h, bob, 'POST', '/api/v1/schedules/primary/overrides', { ...window, person: 'tom' })).status,
    ).toBe(403);

    // Alice gives her 12:00–14:00 to bob, with a reason: bob is told, alice (who made it) is not.
    const given = await call(h, alice, 'POST', '/api/v1/schedules/primary/overrides', {
      ...window,
      person: 'bob',
      replaces: 'alice',
      reason: 'dentist',
    });
    expect(given).toMatchObject({ status: 201, json: { notified: ['bob'] } });
    expect(notices(h, BOB).map((m) => m.Body)).toEqual([
      'Klaxon: alice changed primary: you are now on call Mon 23 Nov 07:00–09:00 (America/New_York).',
    ]);
    expect(notices(h, ALICE)).toEqual([]);

    const { json } = await call(h, carl, 'GET', `/api/v1/schedules/primary?from=${at('11:00')}&to=${at('15:00')}`);
    expect(json.shifts).toEqual([
      { contact: 'alice', from: at('11:00'), to: at('12:00'), override: false },
      {
        contact: 'bob',
        from: at('12:00'),
        to: at('14:00'),
        override: true,
        overrideId: given.json.overrideId,
        actor: { kind: 'person', name: 'alice' },
        reason: 'dentist',
        replaces: 'alice',
      },
      { contact: 'alice', from: at('14:00'), to: at('15:00'), override: false },
    ]);

    // Bob may not remove alice's override; erin (admin) may, and the rotation is back.
    const remove = `/api/v1/schedules/primary/overrides/${given.json.overrideId}`;
    expect((await call(h, bob, 'DELETE', remove)).status).toBe(403);
    expect(await call(h, erin, 'DELETE', remove)).toMatchObject({ status: 200, json: { notified: ['bob', 'alice'] } });
    expect((await call(h, erin, 'DELETE', remove)).status).toBe(404);
    expect((await h.api('GET', `/api/v1/schedules/primary?from=${at('11:00')}&to=${at('15:00')}`)).json.shifts).toEqual(
      [{ contact: 'alice', from: at('11:00'), to: at('15:00'), override: false }],
    );

    // Erin puts tom on, though tom is no member: an admin may.
    expect(
      (await call(h, erin, 'POST', '/api/v1/schedules/primary/overrides', { ...window, person: 'tom' })).status,
    ).toBe(201);
  });

  it('answers 400 for bad instants, 404 for an unknown schedule or person, 409 for an empty window or a conflict', async () => {
    h = await startEscalation({ start: at('10:00'), config: onCallConfig() });
    const erin = await tokenFor(h, 'erin');
    const add = (schedule: string, body: object) =>
      call(h, erin, 'POST', `/api/v1/schedules/${schedule}/overrides`, body);
    expect((await add('primary', { start: 'tomorrow', end: at('12:00'), person: 'bob' })).status).toBe(400);
    expect((await call(h, erin, 'GET', '/api/v1/schedules/primary?from=yesterday')).status).toBe(400);
    expect((await add('backup', { start: at('11:00'), end: at('12:00'), person: 'bob' })).status).toBe(404);
    expect((await call(h, erin, 'GET', '/api/v1/schedules/backup')).status).toBe(404);
    expect((await add('primary', { start: at('11:00'), end: at('12:00'), person: 'zed' })).status).toBe(404);
    expect((await add('primary', { start: at('12:00'), end: at('11:00'), person: 'bob' })).status).toBe(409);
    expect((await add('primary', { start: at('11:00'), end: at('12:00'), person: 'bob' })).status).toBe(201);
    expect(await add('primary', { start: at('11:30'), end: at('12:30'), person: 'bob' })).toMatchObject({
      status: 409,
      json: { error: expect.stringContaining('bob already has override') },
    });
    expect((await call(h, erin, 'POST', '/api/v1/schedules/primary/take', { until: 'later' })).status).toBe(400);
  });

  it('an override made on one instance changes whom the other pages for an escalation it fires', async () => {
    const dir = tempDir('klaxon-oncall-instances-');
    const providers = await startProviders();
    const clock = new VirtualClock(at('10:00'));
    const owners = new Set(['b']);
    const config = onCallConfig();
    const a = await startEscalation({ dir, providers, clock, config, consumerGroup: 'a', owns: () => owners.has('a') });
    const b = await startEscalation({ dir, providers, clock, config, consumerGroup: 'b', owns: () => owners.has('b') });
    h = b;
    try {
      await b.alert({ alertname: 'NightJob', team: 'night', severity: 'critical' });
      await vi.waitFor(() => expect(a.service.index.acting()).toHaveLength(1), { timeout: 5000, interval: 10 });
      expect(pages(b, TOM)).toHaveLength(1);

      clock.set(at('10:01'));
      const bob = await tokenFor(a, 'bob');
      expect((await call(a, bob, 'POST', '/api/v1/schedules/primary/take', { until: '1h' })).status).toBe(201);
      // B hears of it through its own subscription to the schedule's stream.
      await vi.waitFor(
        async () => expect((await b.api('GET', '/api/v1/schedules')).json.schedules[0].onCall).toBe('bob'),
        { timeout: 5000, interval: 10 },
      );

      await b.advanceTo(at('10:05'));
      expect(pages(b, BOB).map((m) => m.Body)).toEqual([expect.stringContaining('NightJob')]);
      expect(pages(b, ALICE)).toEqual([]);
    } finally {
      await a.close();
      await b.close();
      await providers.close();
      dir.remove();
      h = undefined as unknown as Harness;
    }
  });
});
