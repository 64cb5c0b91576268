import type { KlaxonConfig } from '@klaxon/config';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

/** L1 is the weekly `primary` rotation of alice and bob: whoever has the week is paged. */
const L1_PHONES = new Set(['+15550100001', '+15550100002']);
const l1Texts = (h: Harness) => h.providers.twilio.messages().filter((m) => L1_PHONES.has(m.To));

/** The runbook's Saturday database maintenance, 02:00–04:00 Berlin time, from klaxon.yaml. */
const withMaintenance = (): KlaxonConfig => ({
  ...testConfig(),
  maintenance: {
    'db-saturday': {
      matchers: { service: 'bar-db' },
      every: 'weekly',
      days: ['sat'],
      from: '02:00',
      to: '04:00',
      timezone: 'Europe/Berlin',
      comment: 'weekly vacuum',
    },
  },
});

const incidentOf = async (h: Harness) => (await h.api('GET', '/api/v1/incidents')).json.incidents[0];

describe('maintenance windows and silences: quiet when it should be', () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it('given the Saturday window (after the spring DST change: 00:00Z–02:00Z), when bar-db fires at 00:30Z, then its incident opens quietly and pages at the window end, 02:00Z', async () => {
    h = await startEscalation({ config: withMaintenance(), start: '2027-04-03T00:30:00Z' });
    await h.alert({ alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' });
    const incident = await incidentOf(h);
    expect(incident).toMatchObject({ status: 'open', suppressedBy: 'db-saturday' });
    await h.advanceTo('2027-04-03T01:59:59Z');
    expect(l1Texts(h)).toEqual([]);

    await h.advanceTo('2027-04-03T02:00:00Z');
    expect(l1Texts(h)).toHaveLength(1);
    expect(await incidentOf(h)).toMatchObject({ suppressedBy: null });
    // The ack timeout counts from the window's end: L2 (tom) at 02:05Z, not at once.
    await h.advanceTo('2027-04-03T02:04:59Z');
    expect(h.providers.twilio.messages().filter((m) => m.To === '+15550100003')).toEqual([]);
    await h.advanceTo('2027-04-03T02:05:00Z');
    expect(h.providers.twilio.messages().filter((m) => m.To === '+15550100003')).toHaveLength(1);
  });

  it('the week before the DST change the same local hours are 01:00Z–03:00Z: an alert at 00:30Z pages at once', async () => {
    h = await startEscalation({ config: withMaintenance(), start: '2027-03-27T00:30:00Z' });
    await h.alert({ alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' });
    expect(await incidentOf(h)).toMatchObject({ suppressedBy: null });
    expect(l1Texts(h)).toHaveLength(1);
  });

  it('a resolve during the window passes: the incident resolves and nobody is paged, then or after', async () => {
    h = await startEscalation({ config: withMaintenance(), start: '2027-04-03T00:30:00Z' });
    await h.alert({ alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' });
    h.clock.set('2027-04-03T01:00:00Z');
    await h.alert({ alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' }, { status: 'resolved' });
    expect(await incidentOf(h)).toMatchObject({ status: 'resolved', suppressedBy: null });
    await h.advanceTo('2027-04-03T06:00:00Z');
    expect(h.providers.twilio.messages()).toEqual([]);
    expect(h.providers.smtp.mails).toEqual([]);
  });

  it('given a silence of 2 h made through the API by its author, then alerts it matches open without a page; expiring it early pages at once', async () => {
    h = await startEscalation({ start: '2027-03-01T10:00:00Z' });
    const made = await h.api('POST', '/api/v1/silences', {
      matchers: { alertname: '~Orders.*' },
      duration: '2h',
      comment: 'orders deploy',
    });
    expect(made.status).toBe(201);
    expect(made.json).toMatchObject({ start: '2027-03-01T10:00:00.000Z', end: '2027-03-01T12:00:00.000Z' });
    const listed = (await h.api('GET', '/api/v1/silences')).json.silences;
    expect(listed).toEqual([
      expect.objectContaining({
        id: made.json.id,
        comment: 'orders deploy',
        createdBy: { kind: 'service', name: 'api' },
      }),
    ]);
    const events = await h.store.readStream('silences');
    expect(events.map((e) => e.type)).toEqual(['SilenceAdded']);

    h.clock.set('2027-03-01T10:10:00Z');
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await h.alert({ alertname: 'PaymentsDown', service: 'payments', severity: 'critical' });
    const incidents = (await h.api('GET', '/api/v1/incidents')).json.incidents;
    expect(
      incidents.map((i: { title: string; suppressedBy: string | null }) => [i.title, i.suppressedBy]).sort(),
    ).toEqual([
      ['OrdersDown is firing', made.json.id],
      ['PaymentsDown is firing', null],
    ]);
    expect(l1Texts(h).map((m) => /PaymentsDown/.test(m.Body))).toEqual([true]);

    h.clock.set('2027-03-01T10:30:00Z');
    const expired = await h.api('DELETE' as 'POST', `/api/v1/silences/${made.json.id}`);
    expect(expired.status).toBe(200);
    expect(expired.json.expiredAt).toBe('2027-03-01T10:30:00.000Z');
    expect(l1Texts(h).filter((m) => /OrdersDown/.test(m.Body))).toHaveLength(1);
    expect((await h.api('GET', '/api/v1/silences')).json.silences).toEqual([]);
  });

  it('refuses a silence without matchers, without an end or with an end before its start', async () => {
    h = await startEscalation({ start: '2027-03-01T10:00:00Z' });
    for (const body of [
      { matchers: {}, duration: '1h', comment: 'all' },
      { matchers: { service: 'orders' }, comment: 'forever' },
      { matchers: { service: 'orders' }, start: '2027-03-01T12:00:00Z', end: '2027-03-01T11:00:00Z', comment: 'x' },
      { matchers: { service: '~(' }, duration: '1h', comment: 'bad regex' },
    ])
      expect((await h.api('POST', '/api/v1/silences', body)).status).toBe(400);
  });

  it('a weekly window through the API, and a window of klaxon.yaml cannot be expired through it', async () => {
    h = await startEscalation({ config: withMaintenance(), start: '2027-03-01T10:00:00Z' });
    const made = await h.api('POST', '/api/v1/maintenance', {
      matchers: { service: 'orders' },
      every: 'weekly',
      days: ['sun'],
      from: '23:00',
      to: '01:00',
      timezone: 'America/New_York',
      comment: 'orders reindex',
    });
    expect(made.status).toBe(201);
    const ids = (await h.api('GET', '/api/v1/maintenance')).json.maintenance.map((w: { id: string }) => w.id);
    expect(ids.sort()).toEqual(['db-saturday', made.json.id].sort());
    expect((await h.api('DELETE' as 'POST', '/api/v1/maintenance/db-saturday')).status).toBe(409);
    expect((await h.api('DELETE' as 'POST', `/api/v1/maintenance/${made.json.id}`)).status).toBe(200);
  });
});
