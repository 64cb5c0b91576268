import { describe, expect, it } from 'vitest';
import { alertRecordSchema, alertsIn, alertsOfRecord } from '../src/index.ts';

const receipt = {
  source: 'alertmanager',
  integration: 'alertmanager',
  groupKey: '{}:{alertname="DiskFull"}',
  receivedAt: '2026-11-22T18:39:09.000Z',
};
const good = {
  fingerprint: 'f1',
  status: 'firing',
  labels: { alertname: 'DiskFull', severity: 'critical' },
  annotations: { summary: 'Disk full on db-1' },
  startsAt: '2026-11-22T18:39:08.673Z',
};

/** Paths of what is wrong, as escalation reads a record off the bus. */
const problems = (record: unknown) => {
  const parsed = alertRecordSchema.safeParse(record);
  return parsed.success ? [] : parsed.error.issues.map((i) => i.path.join('.')).sort();
};

// A notification's alerts are checked in place, a lone alert (the events API's record) field by field by
// zod: both must take and refuse the same alerts, at the same fields.
describe('an alert read off the bus, alone or in a notification', () => {
  it.each([
    ['a good alert', {}, []],
    ['one that ended', { status: 'resolved', endsAt: '2026-11-22T19:00:00+01:00' }, []],
    ['acknowledged, with a link back', { status: 'acknowledged', generatorURL: 'http://prometheus/graph' }, []],
    ['no fingerprint', { fingerprint: '' }, ['fingerprint']],
    ['a status nobody sends', { status: 'sideways' }, ['status']],
    ['a label that is a number', { labels: { alertname: 'DiskFull', replicas: 3 } }, ['labels.replicas']],
    ['annotations that are a list', { annotations: ['summary'] }, ['annotations']],
    ['no annotations', { annotations: undefined }, ['annotations']],
    ['a start with no offset', { startsAt: '2026-11-22T18:39:08' }, ['startsAt']],
    ['a start on the 30th of February', { startsAt: '2026-02-30T18:39:08Z' }, ['startsAt']],
    ['an end that is not a date', { endsAt: 'soon' }, ['endsAt']],
    ['a start past year 9999 in UTC', { startsAt: '+010000-01-01T11:59:59.000Z' }, ['startsAt']],
    ['a start in year 0000', { startsAt: '0000-12-31T23:59:59.000Z' }, ['startsAt']],
    ['a start that is year 0000 once in UTC', { startsAt: '0001-01-01T00:00:00+14:00' }, ['startsAt']],
    ['a start that is year 0001 once in UTC', { startsAt: '0000-12-31T23:00:00-14:00' }, []],
    ['an end in year 9999, twelve hours behind UTC', { endsAt: '9999-12-31T23:59:59-12:00' }, ['endsAt']],
    ['a link that is not a string', { generatorURL: 42 }, ['generatorURL']],
    [
      'three things wrong',
      { fingerprint: 7, labels: null, startsAt: undefined },
      ['fingerprint', 'labels', 'startsAt'],
    ],
  ])('%s', (_, change, wrong) => {
    const fields = { ...good, ...change };
    expect(problems({ type: 'AlertReceived', version: 1, ...receipt, ...fields })).toEqual(wrong);
    const second = { ...good, fingerprint: 'f2' };
    expect(problems({ type: 'AlertsReceived', version: 1, ...receipt, alerts: [second, fields] })).toEqual(
      wrong.map((path) => `alerts.1.${path}`),
    );
  });

  it('hands escalation each alert of a notification with the notification receipt', () => {
    const record = alertRecordSchema.parse({
      type: 'AlertsReceived',
      version: 1,
      ...receipt,
      alerts: [good, { ...good, fingerprint: 'f2', status: 'resolved' }],
    });
    expect(alertsIn(record)).toEqual([
      { type: 'AlertReceived', version: 1, ...receipt, ...good },
      { type: 'AlertReceived', version: 1, ...receipt, ...good, fingerprint: 'f2', status: 'resolved' },
    ]);
  });

  it('refuses a notification with no alerts or alerts that are not objects', () => {
    expect(problems({ type: 'AlertsReceived', version: 1, ...receipt, alerts: [] })).toEqual(['alerts']);
    expect(problems({ type: 'AlertsReceived', version: 1, ...receipt, alerts: [good, 'f2'] })).toEqual(['alerts.1']);
  });
});

describe('a record read alert by alert', () => {
  it('hands over the alerts that can be handled and refuses the others alone, each with its index and problems', () => {
    const read = alertsOfRecord({
      type: 'AlertsReceived',
      version: 1,
      ...receipt,
      alerts: [
        good,
        { ...good, fingerprint: 'f2', startsAt: '+010000-01-01T11:59:59.000Z' },
        { ...good, fingerprint: 'f3' },
      ],
    });
    expect(read).toEqual({
      ok: true,
      value: {
        alerts: [
          { type: 'AlertReceived', version: 1, ...receipt, ...good },
          { type: 'AlertReceived', version: 1, ...receipt, ...good, fingerprint: 'f3' },
        ],
        refused: [{ index: 1, fingerprint: 'f2', problems: [expect.stringMatching(/^alerts\.1\.startsAt: /)] }],
      },
    });
  });

  it('refuses a record that is no alert record whole', () => {
    expect(alertsOfRecord({ type: 'AlertsReceived', version: 1, ...receipt, alerts: [] })).toMatchObject({ ok: false });
    expect(alertsOfRecord({ type: 'Something', version: 1 })).toMatchObject({ ok: false });
    expect(
      alertsOfRecord({ type: 'AlertReceived', version: 1, ...receipt, ...good, startsAt: '0000-01-01T00:00:00Z' }),
    ).toMatchObject({
      ok: false,
      error: [expect.stringMatching(/^startsAt: /)],
    });
  });
});
