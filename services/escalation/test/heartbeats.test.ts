import { ALERTS_TOPIC } from '@klaxon/bus';
import type { KlaxonConfig } from '@klaxon/config';
import { heartbeatKey, type AlertReceived, type HeartbeatReceived } from '@klaxon/domain';
import { tempDir, VirtualClock } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const MIN = 60_000;
const ALICE = '+15550100001';

/** Prometheus beats every minute (its Watchdog, or a cron's curl); two minutes late is a miss. */
const MONITORS: KlaxonConfig['heartbeats'] = {
  prometheus: { interval: MIN, grace: 2 * MIN, labels: { severity: 'critical', team: 'sre' } },
  watchdog: { interval: MIN, grace: 2 * MIN, labels: { severity: 'critical' }, match: { alertname: 'Watchdog' } },
  'alertmanager-silent': { interval: 30 * MIN, grace: 0, labels: { severity: 'warning' }, integration: 'alertmanager' },
};
const withHeartbeats = (...names: string[]): KlaxonConfig => ({
  ...testConfig(),
  heartbeats: Object.fromEntries(names.map((name) => [name, MONITORS[name]!])),
});

const view = async (h: Harness, name: string) =>
  (await h.api('GET', '/api/v1/heartbeats')).json.find((v: { name: string }) => v.name === name);

/** A beat as ingest puts it on the bus, handled once its monitor shows it. */
async function beat(h: Harness, name: string) {
  const receivedAt = h.clock.now().toISOString();
  const record: HeartbeatReceived = {
    type: 'HeartbeatReceived',
    version: 1,
    heartbeat: name,
    integration: 'alertmanager',
    receivedAt,
  };
  await h.bus.publish(ALERTS_TOPIC, [{ key: heartbeatKey(name), value: record }]);
  const deadline = Date.now() + 10_000;
  while (h.service.heartbeats.list().find((v) => v.name === name)?.lastBeatAt !== receivedAt) {
    if (Date.now() > deadline) throw new Error(`beat of ${name} not handled`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await h.service.drained();
}

/** Alertmanager's Watchdog as ingest puts it on the bus, handled once the monitor shows the beat. */
async function watchdog(h: Harness) {
  const at = h.clock.now().toISOString();
  const alert: AlertReceived = {
    type: 'AlertReceived',
    version: 1,
    source: 'alertmanager',
    integration: 'alertmanager',
    fingerprint: 'watchdog',
    groupKey: '{}:{alertname="Watchdog"}',
    status: 'firing',
    labels: { alertname: 'Watchdog', severity: 'none' },
    annotations: {},
    startsAt: '2027-03-01T09:00:00Z',
    receivedAt: at,
  };
  await h.bus.publish(ALERTS_TOPIC, [{ key: alert.groupKey, value: alert }]);
  const deadline = Date.now() + 10_000;
  while (h.service.heartbeats.list()[0]?.lastBeatAt !== at) {
    if (Date.now() > deadline) throw new Error('the Watchdog was not taken as a beat');
    await new Promise((r) => setTimeout(r, 5));
  }
  await h.service.drained();
}

/** Waits (in real time) for what the bus consumer does after the beat it took: raising or resolving a miss. */
async function until(condition: () => Promise<boolean>) {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Moves virtual time to `to`, checking heartbeats and firing incident timers at their due times on the way. */
async function advanceTo(h: Harness, to: string) {
  const target = Date.parse(to);
  for (;;) {
    const next = [h.service.heartbeats.nextDueAt(), h.service.timers.nextDueAt()]
      .filter((t): t is number => t !== undefined)
      .sort((a, b) => a - b)[0];
    if (next === undefined || next > target) break;
    if (next > h.clock.now().getTime()) h.clock.set(next);
    await h.service.heartbeats.runDue();
    await h.service.timers.runDue();
    await h.service.drained();
  }
  h.clock.set(target);
  await h.service.drained();
}

const heartbeatIncidents = async (h: Harness) =>
  (await h.api('GET', '/api/v1/incidents')).json.incidents.filter((i: { title: string }) =>
    i.title.startsWith('Heartbeat prometheus'),
  );

describe('heartbeats: loud when something goes silent', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('given Prometheus beating every minute from 10:00, when it stops after 10:01, then at 10:04 a P1 opens and pages L1; its next beat resolves it', async () => {
    h = await startEscalation({ config: withHeartbeats('prometheus'), start: '2027-03-01T10:00:00Z' });
    h.clock.set('2027-03-01T10:01:00Z');
    await beat(h, 'prometheus');
    await advanceTo(h, '2027-03-01T10:03:59Z');
    expect(await heartbeatIncidents(h)).toEqual([]);
    expect(await view(h, 'prometheus')).toEqual({
      name: 'prometheus',
      state: 'ok',
      lastBeatAt: '2027-03-01T10:01:00.000Z',
      dueAt: '2027-03-01T10:04:00.000Z',
      source: 'config',
    });

    await advanceTo(h, '2027-03-01T10:04:00Z');
    const [incident] = await heartbeatIncidents(h);
    expect(incident).toMatchObject({ severity: 'P1', status: 'open' });
    const detail = (await h.api('GET', `/api/v1/incidents/${incident.id}`)).json;
    expect(detail.incident.labels).toEqual({
      alertname: 'HeartbeatMissed',
      heartbeat: 'prometheus',
      severity: 'critical',
      team: 'sre',
    });
    expect(h.providers.twilio.messages().filter((m) => m.To === ALICE)).toHaveLength(1);
    expect((await view(h, 'prometheus')).state).toBe('missed');

    h.clock.set('2027-03-01T10:06:00Z');
    await beat(h, 'prometheus');
    await until(async () => (await heartbeatIncidents(h))[0].status === 'resolved');
    expect(await view(h, 'prometheus')).toMatchObject({ state: 'ok', dueAt: '2027-03-01T10:09:00.000Z' });
  });

  it("given Alertmanager's Watchdog alert matching the monitor, then it keeps the monitor alive and opens no incident", async () => {
    h = await startEscalation({ config: withHeartbeats('watchdog'), start: '2027-03-01T10:00:00Z' });
    for (const at of ['10:01', '10:02', '10:03', '10:04', '10:05']) {
      await advanceTo(h, `2027-03-01T${at}:00Z`);
      await watchdog(h);
    }
    await advanceTo(h, '2027-03-01T10:07:59Z');
    expect((await h.api('GET', '/api/v1/incidents')).json.incidents).toEqual([]);
    expect(await view(h, 'watchdog')).toMatchObject({ state: 'ok', lastBeatAt: '2027-03-01T10:05:00.000Z' });
  });

  it('given an integration that sends nothing for 30 minutes, then "integration silent" opens an incident; any alert from it resolves that', async () => {
    h = await startEscalation({ config: withHeartbeats('alertmanager-silent'), start: '2027-03-01T10:00:00Z' });
    await advanceTo(h, '2027-03-01T10:30:00Z');
    const silent = (await h.api('GET', '/api/v1/incidents')).json.incidents.filter((i: { title: string }) =>
      i.title.startsWith('Heartbeat alertmanager-silent'),
    );
    expect(silent).toEqual([expect.objectContaining({ severity: 'P3', status: 'open' })]);
    h.clock.set('2027-03-01T10:31:00Z');
    await h.alert({ alertname: 'DiskFull', severity: 'warning' });
    expect(await view(h, 'alertmanager-silent')).toMatchObject({ state: 'ok', lastBeatAt: '2027-03-01T10:31:00.000Z' });
    const after = (await h.api('GET', `/api/v1/incidents/${silent[0].id}`)).json;
    expect(after.incident.status).toBe('resolved');
  });

  it('given a monitor overdue while escalation was down, when it starts again, then the miss fires once, and not again on the next restart', async () => {
    const dir = tempDir('klaxon-heartbeat-restart-');
    const providers = await startProviders();
    const clock = new VirtualClock('2027-03-01T10:00:00Z');
    const first = await startEscalation({ dir, providers, clock, config: withHeartbeats('prometheus') });
    clock.set('2027-03-01T10:01:00Z');
    await beat(first, 'prometheus');
    await first.stop();

    clock.set('2027-03-01T11:00:00Z');
    h = await startEscalation({ dir, providers, clock, config: withHeartbeats('prometheus') });
    expect(h.service.heartbeats.nextDueAt()).toBe(Date.parse('2027-03-01T10:04:00Z'));
    await advanceTo(h, '2027-03-01T11:00:00Z');
    expect(await heartbeatIncidents(h)).toHaveLength(1);
    const paged = providers.twilio.messages().filter((m) => m.To === ALICE).length;
    expect(paged).toBe(1);
    await h.stop();

    clock.set('2027-03-01T11:10:00Z');
    h = await startEscalation({ dir, providers, clock, config: withHeartbeats('prometheus') });
    await advanceTo(h, '2027-03-01T11:10:00Z');
    expect(await heartbeatIncidents(h)).toHaveLength(1);
    const misses = (await h.store.readStream('heartbeat-prometheus')).filter((e) => e.type === 'HeartbeatMissed');
    expect(misses).toHaveLength(1);
    expect(
      providers.twilio.messages().filter((m) => m.To === ALICE && /Heartbeat prometheus/.test(m.Body)),
    ).toHaveLength(1);
    await h.close();
    await providers.close();
    dir.remove();
  });

  it('given two instances on one store checking at the same moment, then the miss is written once and paged once', async () => {
    const dir = tempDir('klaxon-heartbeat-two-');
    const providers = await startProviders();
    const clock = new VirtualClock('2027-03-01T10:00:00Z');
    // Both check the monitor (the embedded bus gives each every key); pages of incidents are the first's.
    h = await startEscalation({ dir, providers, clock, config: withHeartbeats('prometheus'), owns: () => true });
    const other = await startEscalation({
      dir,
      providers,
      clock,
      config: withHeartbeats('prometheus'),
      consumerGroup: 'other',
      owns: () => false,
    });
    clock.set('2027-03-01T10:03:00Z');
    await Promise.all([h.service.heartbeats.runDue(), other.service.heartbeats.runDue()]);
    await Promise.all([h.service.drained(), other.service.drained()]);
    const misses = (await h.store.readStream('heartbeat-prometheus')).filter((e) => e.type === 'HeartbeatMissed');
    expect(misses).toHaveLength(1);
    expect(
      providers.twilio.messages().filter((m) => m.To === ALICE && /Heartbeat prometheus/.test(m.Body)),
    ).toHaveLength(1);
    await other.stop();
    await h.close();
    await providers.close();
    dir.remove();
  });
});
