import { Webhook } from 'standardwebhooks';
import { startWebhookReceiver, tempDir, VirtualClock, webhookSecret, type WebhookReceiver } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const ALL_EVENTS = `[incident.opened, incident.acknowledged, incident.escalated, incident.resolved, incident.reopened,
      incident.severity_changed, incident.status_update, page.sent, page.failed, oncall.changed]`;
const configFor = (receiver: WebhookReceiver, events = ALL_EVENTS) =>
  testConfig({
    extra: `webhooks:
  - name: ops-hooks
    url: ${receiver.url}
    events: ${events}
    secret: ${receiver.secret}
`,
  });

const types = (r: WebhookReceiver) => r.deliveries.map((d) => d.body.type as string);
const deadLetters = async (h: Harness) =>
  (await h.service.http.metrics.getSingleMetric('klaxon_webhook_dead_letters_total')?.get())?.values[0]?.value ?? 0;

describe('outgoing webhooks', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });
  const start = async (receiver: WebhookReceiver, options: Parameters<typeof startEscalation>[0] = {}) => {
    const h = await startEscalation({ config: configFor(receiver), ...options });
    open.push(h);
    return h;
  };

  it('given a P1 opened at 10:00, paged to alice and acknowledged by her at 10:03, the receiver verifies each message and gets them in that order', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    const h = await start(receiver);
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await h.advanceTo('2026-11-23T10:03:00Z');
    await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    expect(await h.service.webhooks.drain()).toBeUndefined();

    expect(receiver.refused).toEqual([]);
    expect(types(receiver)).toEqual(['incident.opened', 'page.sent', 'page.sent', 'incident.acknowledged']);
    const [opened, sms, , acked] = receiver.deliveries;
    expect(opened!.body).toEqual({
      type: 'incident.opened',
      timestamp: '2026-11-23T10:00:00.000Z',
      data: expect.objectContaining({
        incident: expect.objectContaining({
          id,
          severity: 'P1',
          service: 'orders',
          status: 'open',
          level: 'L1',
          url: `https://klaxon.example.com/incidents/${id}`,
        }),
        labels: expect.objectContaining({ alertname: 'OrdersDown' }),
      }),
    });
    expect(sms!.body.data.page).toMatchObject({ contact: 'alice', channel: 'sms', level: 'L1' });
    expect(acked!.body).toMatchObject({
      type: 'incident.acknowledged',
      timestamp: '2026-11-23T10:03:00.000Z',
      data: { incident: { status: 'acknowledged' }, by: 'alice', via: 'api' },
    });
    expect(new Set(receiver.deliveries.map((d) => d.id)).size).toBe(4);
  });

  it('the headers carry what the convention asks: an altered body, timestamp or key, or an old message, fails the receiver library', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    const h = await start(receiver);
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await h.service.webhooks.drain();
    const d = receiver.deliveries[0]!;
    expect(d.id).toMatch(/^msg_/);
    // Dated by the wall clock at the attempt, which is what the receiver holds it against.
    expect(Math.abs(Number(d.timestamp) - Date.now() / 1000)).toBeLessThan(30);
    expect(d.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const verifier = new Webhook(receiver.secret);
    const headers = { 'webhook-id': d.id, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature };
    expect(verifier.verify(d.raw, headers)).toEqual(d.body);
    expect(() => verifier.verify(d.raw.replace('OrdersDown', 'OrdersUp'), headers)).toThrow(/signature/i);
    expect(() => verifier.verify(d.raw, { ...headers, 'webhook-timestamp': String(Number(d.timestamp) - 1) })).toThrow(
      /signature/i,
    );
    expect(() => verifier.verify(d.raw, { ...headers, 'webhook-id': 'msg_other' })).toThrow(/signature/i);
    expect(() => new Webhook(webhookSecret()).verify(d.raw, headers)).toThrow(/signature/i);
    // The same message signed ten minutes ago, as a replayed capture would be: too old.
    const tenMinutesAgo = new Date(Date.now() - 10 * 60_000);
    const old = {
      ...headers,
      'webhook-timestamp': String(Math.floor(tenMinutesAgo.getTime() / 1000)),
      'webhook-signature': verifier.sign(d.id, tenMinutesAgo, d.raw),
    };
    expect(() => verifier.verify(d.raw, old)).toThrow(/too old/);
  });

  it('a receiver down from 10:00 to 10:20 gets the messages retried with backoff, then all of them in order, the retried one under its first id', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    receiver.down = true;
    const h = await start(receiver);
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;

    const retries: string[] = [];
    for (const minute of ['10:00:00', '10:00:05', '10:00:35', '10:02:35']) {
      h.clock.set(`2026-11-23T${minute}Z`);
      const result = await h.service.webhooks.get('ops-hooks')!.drain();
      retries.push((result as { retryAt: Date }).retryAt.toISOString().slice(11, 19));
    }
    expect(retries).toEqual(['10:00:05', '10:00:35', '10:02:35', '10:12:35']);
    expect(receiver.idsWhileDown).toHaveLength(4);
    expect(new Set(receiver.idsWhileDown).size).toBe(1);
    expect(h.service.webhooks.get('ops-hooks')!.status()).toMatchObject({
      failingSince: '2026-11-23T10:00:00.000Z',
      lastError: 'answered 503',
    });

    await h.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' });
    receiver.down = false;
    h.clock.set('2026-11-23T10:12:00Z');
    expect(await h.service.webhooks.get('ops-hooks')!.drain()).toEqual({ retryAt: new Date('2026-11-23T10:12:35Z') });
    expect(receiver.deliveries).toEqual([]);
    h.clock.set('2026-11-23T10:20:00Z');
    await h.service.webhooks.drain();
    expect(types(receiver)).toEqual([
      'incident.opened',
      'page.sent',
      'page.sent',
      'incident.acknowledged',
      'incident.resolved',
      'page.sent',
      'page.sent',
    ]);
    expect(receiver.deliveries[0]!.id).toBe(receiver.idsWhileDown[0]);
    expect(receiver.deliveries.slice(-2).map((d) => d.body.data.page.purpose)).toEqual(['resolution', 'resolution']);
    expect(h.service.webhooks.get('ops-hooks')!.status()).toMatchObject({ failingSince: null, lastError: null });
  });

  it('a receiver that took nothing for a day: its messages are dead-lettered and counted; a replay from midnight delivers them again', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    receiver.down = true;
    const h = await start(receiver);
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const hooks = h.service.webhooks.get('ops-hooks')!;
    await hooks.drain();
    for (let at = Date.parse('2026-11-23T10:00:00Z'); at < Date.parse('2026-11-24T10:00:00Z');) {
      const next = await hooks.drain();
      if (next === 'idle') break;
      at = (next as { retryAt: Date }).retryAt.getTime();
      h.clock.set(at);
    }
    // At 10:00 the next day the first message has failed for 24 h: it and those behind it get one attempt each.
    expect(h.clock.now().toISOString()).toBe('2026-11-24T10:00:00.000Z');
    expect(await hooks.drain()).toBe('idle');
    expect(await deadLetters(h)).toBe(3);
    expect(hooks.status()).toMatchObject({ deadLettered: 3, failingSince: '2026-11-23T10:00:00.000Z' });
    const kept = await h.store.readStream('webhook-ops-hooks');
    expect(
      kept.filter((e) => e.type === 'WebhookDeadLettered').map((e) => (e.data as { eventType: string }).eventType),
    ).toEqual(['incident.opened', 'page.sent', 'page.sent']);

    receiver.down = false;
    const replay = await fetch(`${h.base}/api/v1/webhooks/ops-hooks/replay`, {
      method: 'POST',
      headers: { authorization: 'Bearer api-token-0123456789abcdef', 'content-type': 'application/json' },
      body: JSON.stringify({ from: '2026-11-23T00:00:00Z' }),
    });
    expect(replay.status).toBe(202);
    await hooks.drain();
    expect(types(receiver)).toEqual(['incident.opened', 'page.sent', 'page.sent']);
  });

  it('stopped after three of four deliveries and started again: it goes on from its kept position, nothing delivered twice', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    const dir = tempDir('klaxon-webhooks-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const first = await startEscalation({ dir, providers, clock, config: configFor(receiver) });
    await first.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await first.service.webhooks.drain();
    expect(receiver.deliveries).toHaveLength(3);
    const id = (await first.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await first.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    await first.stop();

    const second = await startEscalation({ dir, providers, clock, config: configFor(receiver) });
    open.push(second, providers, { close: async () => dir.remove() });
    await second.service.webhooks.drain();
    expect(types(receiver)).toEqual(['incident.opened', 'page.sent', 'page.sent', 'incident.acknowledged']);
    expect(new Set(receiver.deliveries.map((d) => d.id)).size).toBe(4);
  });

  it('a webhook added to a Klaxon with an incident already open starts at the present: the acknowledgement, not the history', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    const dir = tempDir('klaxon-webhooks-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const before = await startEscalation({ dir, providers, clock });
    await before.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await before.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await before.stop();

    const after = await startEscalation({ dir, providers, clock, config: configFor(receiver) });
    open.push(after, providers, { close: async () => dir.remove() });
    await after.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    await after.service.webhooks.drain();
    expect(types(receiver)).toEqual(['incident.acknowledged']);
  });

  it('a webhook gets only the events it names, and on-call changes from a schedule stream', async () => {
    const receiver = await startWebhookReceiver(webhookSecret());
    open.push(receiver);
    const h = await start(receiver, {
      config: configFor(receiver, '[incident.resolved, incident.severity_changed, oncall.changed]'),
    });
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const id = (await h.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await h.api('POST', `/api/v1/incidents/${id}/severity`, { by: 'alice', severity: 'P2' });
    await h.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' });
    await h.store.append(
      'schedule-primary',
      [
        {
          type: 'OverrideAdded',
          data: {
            overrideId: 'o1',
            start: '2026-11-23T12:00:00Z',
            end: '2026-11-23T14:00:00Z',
            person: 'bob',
            actor: { kind: 'person', name: 'bob' },
          },
        },
      ],
      'any',
    );
    await h.service.webhooks.drain();
    expect(types(receiver)).toEqual(['incident.severity_changed', 'incident.resolved', 'oncall.changed']);
    expect(receiver.deliveries[0]!.body.data).toMatchObject({ from: 'P1', to: 'P2', by: 'alice' });
    expect(receiver.deliveries[2]!.body.data).toMatchObject({
      schedule: 'primary',
      change: 'override-added',
      person: 'bob',
    });
  });
});
