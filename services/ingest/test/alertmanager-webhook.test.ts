import { afterEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, fixture, type IngestHarness, post, startIngest } from './support/ingest-harness.ts';

const auth = { authorization: `Bearer ${AM_TOKEN}` };

describe('POST /api/v1/alertmanager', () => {
  let ingest: IngestHarness;
  afterEach(async () => ingest?.close());

  it('accepts the real 0.25 firing payload unchanged and puts one AlertsReceived record on the bus, keyed by group key', async () => {
    ingest = await startIngest();
    const payload = fixture('alertmanager-0.25-firing.json');
    const response = await post(ingest.base, '/api/v1/alertmanager', payload, auth);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, groupKey: payload.groupKey });
    const [record] = await ingest.received(1);
    expect(record!.key).toBe('{}:{alertname="BarDiskFull", service="bar-db"}');
    expect(record!.headers).toEqual({ type: 'AlertsReceived' });
    expect(record!.value).toEqual({
      type: 'AlertsReceived',
      version: 1,
      source: 'alertmanager',
      integration: 'alertmanager',
      groupKey: '{}:{alertname="BarDiskFull", service="bar-db"}',
      receivedAt: expect.any(String),
      alerts: [
        {
          fingerprint: 'f2030af2e7619216',
          status: 'firing',
          labels: { alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' },
          annotations: { summary: 'Disk full' },
          startsAt: '2026-11-22T18:39:08.673Z',
        },
      ],
    });
  });

  it('carries the resolved status and end time of the real resolved payload', async () => {
    ingest = await startIngest();
    expect(
      (await post(ingest.base, '/api/v1/alertmanager', fixture('alertmanager-0.25-resolved.json'), auth)).status,
    ).toBe(202);
    const [alert] = await ingest.alerts(1);
    expect(alert).toMatchObject({
      status: 'resolved',
      endsAt: '2026-11-22T18:39:12.000Z',
      fingerprint: 'f2030af2e7619216',
    });
  });

  it('accepts every alert of a grouped notification, in order, with its own fingerprint, in one record', async () => {
    ingest = await startIngest();
    const base = fixture('alertmanager-0.25-firing.json');
    const [alert] = base.alerts as Array<Record<string, unknown>>;
    const alerts = Array.from({ length: 10 }, (_, i) => ({
      ...alert,
      fingerprint: undefined,
      labels: { ...(alert!.labels as object), instance: `db-${i}` },
    }));
    const response = await post(ingest.base, '/api/v1/alertmanager', { ...base, alerts }, auth);
    expect(await response.json()).toMatchObject({ accepted: 10 });
    const received = await ingest.alerts(10);
    expect(received.map((a) => a.labels.instance)).toEqual(alerts.map((a) => a.labels.instance));
    expect(new Set(received.map((a) => a.fingerprint)).size).toBe(10);
    expect(await ingest.received(1)).toHaveLength(1);
  });

  it("puts a notification far over a Kafka record's size on the bus as several records of its alerts, in order, under its key", async () => {
    ingest = await startIngest();
    const base = fixture('alertmanager-0.25-firing.json');
    const [alert] = base.alerts as Array<Record<string, unknown>>;
    // About 1.5 MB: over Kafka's default 1 MB per record, under ingest's 5 MB per request.
    const alerts = Array.from({ length: 600 }, (_, i) => ({
      ...alert,
      fingerprint: `f${i}`,
      annotations: { summary: 'Disk full', description: 'x'.repeat(2500) },
    }));
    const response = await post(ingest.base, '/api/v1/alertmanager', { ...base, alerts }, auth);
    expect(await response.json()).toMatchObject({ accepted: 600 });
    const received = await ingest.alerts(600);
    expect(received.map((a) => a.fingerprint)).toEqual(alerts.map((a) => a.fingerprint));
    const records = ingest.readSoFar();
    expect(records.length).toBeGreaterThan(1);
    for (const record of records) {
      expect(record.key).toBe(base.groupKey);
      expect(JSON.stringify(record.value).length).toBeLessThan(512 * 1024);
    }
  });
});
