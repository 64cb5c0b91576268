import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerAvailable, startAlertmanager, type RealAlertmanager } from '@klaxon/testing';
import { AM_TOKEN, startIngest, type IngestHarness } from './support/ingest-harness.ts';

const available = alertmanagerAvailable('real Alertmanager → ingest test');

describe.runIf(available)('a real Alertmanager 0.25 pointed at ingest', { timeout: 60_000 }, () => {
  let ingest: IngestHarness;
  let alertmanager: RealAlertmanager;
  beforeAll(async () => {
    ingest = await startIngest();
    alertmanager = await startAlertmanager(`${ingest.base}/api/v1/alertmanager`, AM_TOKEN);
  }, 30_000);
  afterAll(async () => {
    await alertmanager?.stop();
    await ingest?.close();
  });

  it('delivers its firing and then resolved notifications to the bus, each alert as escalation reads it', async () => {
    const labels = { alertname: 'KlaxonDiskFull', service: 'orders-db', severity: 'critical', instance: 'db-1' };
    await alertmanager.addAlert(labels, { summary: 'Disk full on orders-db' });
    const [record] = await ingest.received(1);
    expect(record!.key).toBe('{}:{alertname="KlaxonDiskFull", service="orders-db"}');
    const [fired] = await ingest.alerts(1);
    expect(fired).toMatchObject({
      type: 'AlertReceived',
      source: 'alertmanager',
      integration: 'alertmanager',
      groupKey: '{}:{alertname="KlaxonDiskFull", service="orders-db"}',
      status: 'firing',
      labels,
      annotations: { summary: 'Disk full on orders-db' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });

    await alertmanager.addAlert(labels, { summary: 'Disk full on orders-db', end: new Date(Date.now() - 1000) });
    const alerts = await ingest.alerts(2);
    expect(alerts[1]).toMatchObject({
      status: 'resolved',
      groupKey: '{}:{alertname="KlaxonDiskFull", service="orders-db"}',
      fingerprint: fired!.fingerprint,
      endsAt: expect.any(String),
    });
  });
});
