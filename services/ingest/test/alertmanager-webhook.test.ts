import { afterEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, fixture, type IngestHarness, post, startIngest } from './support/ingest-harness.ts';

const auth = { authorization: `Bearer ${AM_TOKEN}` };

describe('POST /api/v1/alertmanager', () => {
  let ingest: IngestHarness;
  afterEach(async () => ingest?.close());

  it('accepts the real 0.25 firing payload unchanged and puts one AlertReceived on the bus, keyed by group key', async () => {
    ingest = await startIngest();
    const payload = fixture('alertmanager-0.25-firing.json');
    const response = await post(ingest.base, '/api/v1/alertmanager', payload, auth);
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 1, groupKey: payload.groupKey });
    const [record] = await ingest.received(1);
    expect(record!.key).toBe('{}:{alertname="BarDiskFull", service="bar-db"}');
    expect(record!.value).toEqual({
      type: 'AlertReceived',
      version: 1,
      source: 'alertmanager',
      integration: 'alertmanager',
      fingerprint: 'f2030af2e7619216',
      groupKey: '{}:{alertname="BarDiskFull", service="bar-db"}',
      status: 'firing',
      labels: { alertname: 'BarDiskFull', service: 'bar-db', severity: 'critical' },
      annotations: { summary: 'Disk full' },
      startsAt: '2026-11-22T18:39:08.673Z',
      receivedAt: expect.any(String),
    });
  });

  it('carries the resolved status and end time of the real resolved payload', async () => {
    ingest = await startIngest();
    expect((await post(ingest.base, '/api/v1/alertmanager', fixture('alertmanager-0.25-resolved.json'), auth)).status).toBe(202);
    const [record] = await ingest.received(1);
    expect(record!.value).toMatchObject({ status: 'resolved', endsAt: '2026-11-22T18:39:12.000Z', fingerprint: 'f2030af2e7619216' });
  });

  it('accepts every alert of a grouped notification, in order, with its own fingerprint', async () => {
    ingest = await startIngest();
    const base = fixture('alertmanager-0.25-firing.json');
    const [alert] = base.alerts as Array<Record<string, unknown>>;
    const alerts = Array.from({ length: 10 }, (_, i) => ({ ...alert, fingerprint: undefined, labels: { ...(alert!.labels as object), instance: `db-${i}` } }));
    const response = await post(ingest.base, '/api/v1/alertmanager', { ...base, alerts }, auth);
    expect(await response.json()).toMatchObject({ accepted: 10 });
    const records = await ingest.received(10);
    expect(records.map((r) => (r.value as { labels: { instance: string } }).labels.instance)).toEqual(alerts.map((a) => a.labels.instance));
    expect(new Set(records.map((r) => (r.value as { fingerprint: string }).fingerprint)).size).toBe(10);
  });
});
