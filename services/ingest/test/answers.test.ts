import { afterEach, describe, expect, it } from 'vitest';
import { AM_TOKEN, fixture, type IngestHarness, post, startIngest } from './support/ingest-harness.ts';

const firing = fixture('alertmanager-0.25-firing.json');
const auth = { authorization: `Bearer ${AM_TOKEN}` };

describe('ingest answers', () => {
  let ingest: IngestHarness;
  afterEach(async () => ingest?.close());

  it('401 for a missing or unknown token, and nothing reaches the bus', async () => {
    ingest = await startIngest();
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong-token-000000000' },
      { authorization: AM_TOKEN },
      { authorization: 'Basic abc' },
    ];
    for (const headers of variants) {
      const response = await post(ingest.base, '/api/v1/alertmanager', firing, headers);
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: expect.stringContaining('token') });
    }
    const metrics = await (await fetch(`${ingest.base}/metrics`)).text();
    expect(metrics).toContain('klaxon_ingest_rejected_total{reason="unauthorized",service="ingest"} 4');
    expect(metrics).not.toContain('klaxon_alerts_received_total{');
  });

  it('400 with a list of every problem, each with its path', async () => {
    ingest = await startIngest();
    const broken = {
      ...firing,
      version: '3',
      alerts: [{ status: 'burning', labels: { a: 1 }, startsAt: 'yesterday', endsAt: '' }],
    };
    const response = await post(ingest.base, '/api/v1/alertmanager', broken, auth);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { problems: Array<{ path: string; message: string }> };
    expect(body.problems.map((p) => p.path).sort()).toEqual([
      'alerts.0.labels.a',
      'alerts.0.startsAt',
      'alerts.0.status',
      'version',
    ]);
    expect(body.problems.every((p) => p.message.length > 0)).toBe(true);
  });

  it('an alert may leave out its annotations, link and fingerprint, but what it sends must have the right type', async () => {
    ingest = await startIngest();
    const [alert] = firing.alerts as Array<Record<string, unknown>>;
    const bare = { ...alert, annotations: undefined, generatorURL: undefined, fingerprint: undefined };
    const accepted = await post(ingest.base, '/api/v1/alertmanager', { ...firing, alerts: [bare] }, auth);
    expect(accepted.status).toBe(202);
    const [taken] = await ingest.alerts(1);
    expect(taken).toMatchObject({ annotations: {}, labels: alert!.labels });
    expect(taken!.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(taken).not.toHaveProperty('generatorURL');
    const wrong = { ...alert, annotations: 'Disk full', generatorURL: 7, fingerprint: false, endsAt: null, labels: [] };
    const refused = await post(ingest.base, '/api/v1/alertmanager', { ...firing, alerts: [alert, wrong] }, auth);
    expect(refused.status).toBe(400);
    const { problems } = (await refused.json()) as { problems: Array<{ path: string }> };
    expect(problems.map((p) => p.path).sort()).toEqual([
      'alerts.1.annotations',
      'alerts.1.endsAt',
      'alerts.1.fingerprint',
      'alerts.1.generatorURL',
      'alerts.1.labels',
    ]);
  });

  it('400 for a body that is not JSON, or is empty', async () => {
    ingest = await startIngest();
    const bad = await post(ingest.base, '/api/v1/alertmanager', '{"version": "4",', auth);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      problems: [{ path: '', message: expect.stringContaining('not valid JSON') }],
    });
    expect((await post(ingest.base, '/api/v1/alertmanager', '', auth)).status).toBe(400);
  });

  it('413 over the size limit, naming the limit', async () => {
    ingest = await startIngest({ maxBodyBytes: 2048 });
    const huge = { ...firing, commonAnnotations: { description: 'x'.repeat(4096) } };
    const response = await post(ingest.base, '/api/v1/alertmanager', huge, auth);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ limitBytes: 2048 });
  });

  it('415 for a body that is not JSON by its content type', async () => {
    ingest = await startIngest();
    const response = await fetch(`${ingest.base}/api/v1/alertmanager`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(415);
    const form = await fetch(`${ingest.base}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=b',
    });
    expect(form.status).toBe(415);
  });

  it('503 with Retry-After when the bus cannot take the alerts, so Alertmanager retries', async () => {
    ingest = await startIngest();
    await ingest.bus.close();
    const response = await post(ingest.base, '/api/v1/alertmanager', firing, auth);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
    expect((await fetch(`${ingest.base}/ready`)).status).toBe(503);
  });

  it('counts accepted alerts by integration and status, and times bus publishes', async () => {
    ingest = await startIngest();
    await post(ingest.base, '/api/v1/alertmanager', firing, auth);
    const metrics = await (await fetch(`${ingest.base}/metrics`)).text();
    expect(metrics).toContain(
      'klaxon_alerts_received_total{integration="alertmanager",status="firing",service="ingest"} 1',
    );
    expect(metrics).toMatch(/klaxon_bus_publish_seconds_count\{service="ingest"\} 1/);
  });
});
