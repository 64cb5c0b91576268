import { ALERTS_TOPIC } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import { heartbeatKey, type HeartbeatReceived } from '@klaxon/domain';
import { tempDir, VirtualClock } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const ALICE = '+15550100001';
/** A monitor of klaxon.yaml that stays quiet through these tests: it beats weekly. */
const config: KlaxonConfig = {
  ...testConfig(),
  heartbeats: { prometheus: { interval: 7 * 86_400_000, grace: 0, labels: { severity: 'critical' } } },
};
const nightly = {
  name: 'nightly-backup',
  interval: '1h',
  grace: '10m',
  labels: { severity: 'critical', service: 'backup' },
};

async function until(what: string, condition: () => boolean | Promise<boolean>) {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const viewOf = (h: Harness, name: string) => h.service.heartbeats.list().find((v) => v.name === name);

/** Sets the shared virtual clock and lets this instance check its monitors and fire its timers. */
async function checkAt(h: Harness, clock: VirtualClock, at: string) {
  clock.set(at);
  await h.service.heartbeats.runDue();
  await h.service.timers.runDue();
  await h.service.drained();
}

const nightlyIncidents = async (h: Harness) =>
  (await h.api('GET', '/api/v1/incidents')).json.incidents.filter((i: { title: string }) =>
    i.title.startsWith('Heartbeat nightly-backup'),
  );

describe('heartbeat monitors made through the API, on every instance', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function twoInstances() {
    const dir = tempDir('klaxon-heartbeat-api-');
    const providers = await startProviders();
    const clock = new VirtualClock('2027-03-01T10:00:00Z');
    // `checker` checks monitors and pages incidents; `other` takes the API calls and pages nothing.
    const checker = await startEscalation({ dir, providers, clock, config, owns: () => true });
    const other = await startEscalation({ dir, providers, clock, config, consumerGroup: 'other', owns: () => false });
    cleanups.push(
      () => dir.remove(),
      () => providers.close(),
      () => checker.close(),
      () => other.stop(),
    );
    return { checker, other, clock, providers };
  }

  it('given the nightly backup monitor added on one instance at 10:00, then the other arms it, and at 11:10 with no beat pages its miss; removed, it resolves and misses no more', async () => {
    const { checker, other, clock, providers } = await twoInstances();
    const added = await other.api('POST', '/api/v1/heartbeats', nightly);
    expect(added).toEqual({
      status: 201,
      json: {
        name: 'nightly-backup',
        state: 'ok',
        lastBeatAt: null,
        dueAt: '2027-03-01T11:10:00.000Z',
        source: 'api',
      },
    });
    // Followed, then armed: the arm (another instance's, read from its stream, or the checker's own) comes just after.
    await until('the checker follows and arms the new monitor', () =>
      Boolean(viewOf(checker, 'nightly-backup')?.dueAt),
    );
    expect(viewOf(checker, 'nightly-backup')).toEqual(added.json);
    expect(checker.service.heartbeats.nextDueAt()).toBe(Date.parse('2027-03-01T11:10:00Z'));
    const listed = (await checker.api('GET', '/api/v1/heartbeats')).json;
    expect(listed.map((v: { name: string; source: string }) => [v.name, v.source])).toEqual([
      ['prometheus', 'config'],
      ['nightly-backup', 'api'],
    ]);
    const armed = (await checker.store.readStream('heartbeat-nightly-backup')).map((e) => e.type);
    expect(armed).toEqual(['HeartbeatArmed']);

    await checkAt(checker, clock, '2027-03-01T11:09:59Z');
    expect(await nightlyIncidents(checker)).toEqual([]);
    await checkAt(checker, clock, '2027-03-01T11:10:00Z');
    const [incident] = await nightlyIncidents(checker);
    expect(incident).toMatchObject({ severity: 'P1', status: 'open' });
    const pages = () => providers.twilio.messages().filter((m) => m.To === ALICE && /nightly-backup/.test(m.Body));
    expect(pages()).toHaveLength(1);
    await until('the other instance sees the miss', () => viewOf(other, 'nightly-backup')?.state === 'missed');

    // A monitor of klaxon.yaml is changed there: neither removed nor shadowed through the API.
    expect((await other.api('DELETE', '/api/v1/heartbeats/prometheus')).status).toBe(409);
    expect((await other.api('POST', '/api/v1/heartbeats', { ...nightly, name: 'prometheus' })).status).toBe(409);
    expect(viewOf(other, 'prometheus')?.source).toBe('config');

    clock.set('2027-03-01T11:20:00Z');
    expect(await other.api('DELETE', '/api/v1/heartbeats/nightly-backup')).toEqual({ status: 204, json: null });
    expect((await other.api('DELETE', '/api/v1/heartbeats/nightly-backup')).status).toBe(404);
    await until('the checker drops the removed monitor', () => !checker.service.heartbeats.has('nightly-backup'));
    await until('its miss resolves', async () => (await nightlyIncidents(checker))[0]?.status === 'resolved');
    expect(checker.service.heartbeats.nextDueAt()).toBe(Date.parse('2027-03-08T10:00:00Z'));
    await checkAt(checker, clock, '2027-03-01T14:00:00Z');
    const misses = (await checker.store.readStream('heartbeat-nightly-backup')).filter(
      (e) => e.type === 'HeartbeatMissed',
    );
    expect(misses).toHaveLength(1);
    expect(await nightlyIncidents(checker)).toHaveLength(1);

    // Made again, it starts afresh: its old miss is another monitor's past.
    const again = await other.api('POST', '/api/v1/heartbeats', nightly);
    expect(again.json).toMatchObject({ state: 'ok', lastBeatAt: null, dueAt: '2027-03-01T15:10:00.000Z' });
    await until('the checker follows it again', () => viewOf(checker, 'nightly-backup')?.dueAt === again.json.dueAt);
    expect(viewOf(checker, 'nightly-backup')?.state).toBe('ok');
  });

  it('given a monitor made through the API, when its source beats through ingest, then it is kept alive on the instance that checks it', async () => {
    const { checker, other, clock } = await twoInstances();
    expect((await other.api('POST', '/api/v1/heartbeats', nightly)).status).toBe(201);
    // Followed, then armed: the arm (another instance's, read from its stream, or the checker's own) comes just after.
    await until('the checker follows and arms the new monitor', () =>
      Boolean(viewOf(checker, 'nightly-backup')?.dueAt),
    );
    clock.set('2027-03-01T10:30:00Z');
    const beat: HeartbeatReceived = {
      type: 'HeartbeatReceived',
      version: 1,
      heartbeat: 'nightly-backup',
      integration: 'alertmanager',
      receivedAt: clock.now().toISOString(),
    };
    await checker.bus.publish(ALERTS_TOPIC, [{ key: heartbeatKey('nightly-backup'), value: beat }]);
    await until('the beat is taken', () => viewOf(checker, 'nightly-backup')?.lastBeatAt === beat.receivedAt);
    await checkAt(checker, clock, '2027-03-01T11:30:00Z');
    expect(viewOf(checker, 'nightly-backup')).toMatchObject({ state: 'ok', dueAt: '2027-03-01T11:40:00.000Z' });
    expect(await nightlyIncidents(checker)).toEqual([]);
  });

  it('refuses a name made already (409), bad durations, a bad name and unknown fields (400); removing one never made is 404 (roles: test/e2e/access.test.ts)', async () => {
    const { other } = await twoInstances();
    expect((await other.api('POST', '/api/v1/heartbeats', nightly)).status).toBe(201);
    expect((await other.api('POST', '/api/v1/heartbeats', nightly)).status).toBe(409);
    const refused = await other.api('POST', '/api/v1/heartbeats', { ...nightly, name: 'weekly', interval: 'weekly' });
    expect(refused).toMatchObject({ status: 400, json: { problems: [{ path: 'interval' }] } });
    expect((await other.api('POST', '/api/v1/heartbeats', { ...nightly, name: 'a b' })).status).toBe(400);
    expect((await other.api('POST', '/api/v1/heartbeats', { ...nightly, name: 'x', every: '1h' })).status).toBe(400);
    expect((await other.api('DELETE', '/api/v1/heartbeats/never-made')).status).toBe(404);
  });

  it('given a beat of a name no monitor has (a typo in a cron job), then it is dropped and counted, with no label per name', async () => {
    const { checker } = await twoInstances();
    const typo: HeartbeatReceived = {
      type: 'HeartbeatReceived',
      version: 1,
      heartbeat: 'nightly-bakup',
      integration: 'alertmanager',
      receivedAt: '2027-03-01T10:00:00.000Z',
    };
    const counted = async () =>
      (await checker.service.http.metrics.getSingleMetric('klaxon_heartbeat_unknown_beats_total')?.get())?.values ?? [];
    expect(await counted()).toEqual([{ value: 0, labels: {} }]);
    await checker.bus.publish(ALERTS_TOPIC, [{ key: heartbeatKey(typo.heartbeat), value: typo }]);
    await until('the beat is counted', async () => (await counted())[0]?.value === 1);
    expect(await counted()).toEqual([{ value: 1, labels: {} }]);
    expect(await checker.store.readStream('heartbeat-nightly-bakup')).toEqual([]);
    expect(checker.service.heartbeats.has('nightly-bakup')).toBe(false);
  });
});
