import { openKafkaBus } from '@klaxon/bus';
import { kafkaForTests, type KafkaForTests } from '@klaxon/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, fixture, post, startIngest, type IngestHarness } from './support/ingest-harness.ts';

const kafka = await kafkaForTests('ingest on Kafka (a real broker in KRaft mode)');
afterAll(async () => kafka?.stop());

describe.runIf(kafka)(`ingest on Kafka (${kafka?.via})`, { timeout: 60_000 }, () => {
  let ingest: IngestHarness | undefined;
  afterEach(async () => ingest?.close());

  it("takes a notification over the broker's 1 MB record limit: 202, and every alert reaches the topic in order", async () => {
    const bus = await openKafkaBus({
      brokers: (kafka as KafkaForTests).brokers,
      partitions: 3,
      replicationFactor: 1,
      publishTimeoutMs: 10_000,
    });
    ingest = await startIngest({ bus });
    const base = fixture('alertmanager-0.25-firing.json');
    const [alert] = base.alerts as Array<Record<string, unknown>>;
    // About 1.6 MB of JSON: one record would be refused by the broker (message.max.bytes, 1 MB) at every retry.
    const alerts = Array.from({ length: 600 }, (_, i) => ({
      ...alert,
      fingerprint: `f${i}`,
      annotations: { summary: 'Disk full', description: 'x'.repeat(2500) },
    }));
    const response = await post(
      ingest.base,
      '/api/v1/alertmanager',
      { ...base, alerts },
      { authorization: `Bearer ${AM_TOKEN}` },
    );
    expect(response.status).toBe(202);
    const received = await ingest.alerts(600);
    expect(received.map((a) => a.fingerprint)).toEqual(alerts.map((a) => a.fingerprint));
  });

  it('large alerts among small ones reach the broker, and an alert the broker could never take is 413, not 503 for ever', async () => {
    const bus = await openKafkaBus({
      brokers: (kafka as KafkaForTests).brokers,
      partitions: 3,
      replicationFactor: 1,
      publishTimeoutMs: 10_000,
    });
    ingest = await startIngest({ bus });
    const base = fixture('alertmanager-0.25-firing.json');
    const [alert] = base.alerts as Array<Record<string, unknown>>;
    const auth = { authorization: `Bearer ${AM_TOKEN}` };
    const sized = (fingerprint: string, kb: number) => ({
      ...alert,
      fingerprint,
      annotations: { summary: 'Disk full', description: 'x'.repeat(kb * 1024) },
    });
    // Ten alerts of 200 KB, then 300 small ones: cut by count alone, the ten went into one 2 MB record.
    const alerts = [
      ...Array.from({ length: 10 }, (_, i) => sized(`big-${i}`, 200)),
      ...Array.from({ length: 300 }, (_, i) => sized(`small-${i}`, 0)),
    ];
    const mixed = await post(ingest.base, '/api/v1/alertmanager', { ...base, alerts }, auth);
    expect(mixed.status).toBe(202);
    expect((await ingest.alerts(310)).map((a) => a.fingerprint)).toEqual(alerts.map((a) => a.fingerprint));

    const huge = await post(ingest.base, '/api/v1/alertmanager', { ...base, alerts: [sized('huge', 1100)] }, auth);
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({
      problems: [{ path: 'alerts.0', message: expect.stringContaining('bytes') }],
    });
  });
});
