import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS_TOKEN, post, startIngest, type IngestHarness } from './support/ingest-harness.ts';

const trigger = {
  routing_key: EVENTS_TOKEN,
  event_action: 'trigger',
  payload: {
    summary: 'Checkout latency over 2 s',
    source: 'synthetics-eu',
    severity: 'error',
    custom_details: {
      service: 'checkout',
      region: { name: 'eu-west-1', zone: 'b' },
      attempts: 3,
      flaky: false,
      owner: null,
    },
  },
};

describe('POST /api/v1/events (PagerDuty Events API v2 shape)', () => {
  let ingest: IngestHarness;
  afterEach(async () => ingest?.close());

  it('turns a trigger into an alert whose labels are the flattened custom_details plus severity, source and summary', async () => {
    ingest = await startIngest();
    const response = await post(ingest.base, '/api/v1/events', { ...trigger, dedup_key: 'checkout-latency' });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({
      accepted: 1,
      status: 'success',
      message: 'Event processed',
      dedup_key: 'checkout-latency',
    });
    const [record] = await ingest.received(1);
    expect(record!.key).toBe('checkout-latency');
    expect(record!.value).toMatchObject({
      source: 'events-api',
      integration: 'monitoring',
      fingerprint: 'checkout-latency',
      groupKey: 'checkout-latency',
      status: 'firing',
      labels: {
        service: 'checkout',
        'region.name': 'eu-west-1',
        'region.zone': 'b',
        attempts: '3',
        flaky: 'false',
        owner: '',
        severity: 'error',
        source: 'synthetics-eu',
        summary: 'Checkout latency over 2 s',
      },
      annotations: { summary: 'Checkout latency over 2 s' },
    });
  });

  it('generates a dedup_key when the trigger has none, and returns it for the acknowledge and resolve that follow', async () => {
    ingest = await startIngest();
    const { dedup_key } = (await (await post(ingest.base, '/api/v1/events', trigger)).json()) as { dedup_key: string };
    expect(dedup_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      (await post(ingest.base, '/api/v1/events', { routing_key: EVENTS_TOKEN, event_action: 'acknowledge', dedup_key }))
        .status,
    ).toBe(202);
    expect(
      (await post(ingest.base, '/api/v1/events', { routing_key: EVENTS_TOKEN, event_action: 'resolve', dedup_key }))
        .status,
    ).toBe(202);
    const records = await ingest.received(3);
    expect(records.map((r) => [r.key, (r.value as { status: string }).status])).toEqual([
      [dedup_key, 'firing'],
      [dedup_key, 'acknowledged'],
      [dedup_key, 'resolved'],
    ]);
  });

  it('401 for an unknown routing_key; 400 for a resolve without dedup_key or a trigger without payload', async () => {
    ingest = await startIngest();
    expect((await post(ingest.base, '/api/v1/events', { ...trigger, routing_key: 'nope-nope-nope-nope' })).status).toBe(
      401,
    );
    const noKey = await post(ingest.base, '/api/v1/events', { routing_key: EVENTS_TOKEN, event_action: 'resolve' });
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ problems: [{ path: 'dedup_key' }] });
    const noPayload = await post(ingest.base, '/api/v1/events', { routing_key: EVENTS_TOKEN, event_action: 'trigger' });
    expect(await noPayload.json()).toMatchObject({ problems: [{ path: 'payload' }] });
    const badSeverity = await post(ingest.base, '/api/v1/events', {
      ...trigger,
      payload: { ...trigger.payload, severity: 'catastrophic' },
    });
    expect(await badSeverity.json()).toMatchObject({ problems: [{ path: 'payload.severity' }] });
    expect((await post(ingest.base, '/api/v1/events', { event_action: 'trigger' })).status).toBe(400);
  });
});
