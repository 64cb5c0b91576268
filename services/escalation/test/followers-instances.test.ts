import {
  startFakeSlack,
  startWebhookReceiver,
  tempDir,
  VirtualClock,
  webhookSecret,
  type FakeSlack,
  type WebhookReceiver,
} from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const configFor = (receiver: WebhookReceiver, slack: FakeSlack) =>
  testConfig({
    routes: '  - match: {}\n    policy: default\n    slackChannel: "#incidents"',
    extra: `chat:
  slack:
    botToken: ${slack.botToken}
    signingSecret: ${slack.signingSecret}
    apiUrl: ${slack.url}
webhooks:
  - name: ops-hooks
    url: ${receiver.url}
    events: [incident.opened, incident.acknowledged, incident.resolved, page.sent]
    secret: ${receiver.secret}
`,
  });

const types = (r: WebhookReceiver) => r.deliveries.map((d) => d.body.type as string);
const ids = (r: WebhookReceiver) => r.deliveries.map((d) => d.id);
/** Both followers of one instance, as its loops would run them. */
const follow = (h: Harness) =>
  Promise.all([h.service.webhooks.get('ops-hooks')!.drain(), h.service.slack.follower!.drain()]);

describe('several escalation instances on one store: each follower runs on one at a time', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });

  async function twoInstances() {
    const receiver = await startWebhookReceiver(webhookSecret());
    const slack = await startFakeSlack();
    const dir = tempDir('klaxon-followers-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const config = configFor(receiver, slack);
    open.push(receiver, slack, providers, { close: async () => dir.remove() });
    // Both take every alert (each its own consumer group); the pages are a's, the followers whoever leases them.
    const a = await startEscalation({ dir, providers, clock, config, owns: () => true });
    const b = await startEscalation({ dir, providers, clock, config, consumerGroup: 'other', owns: () => false });
    open.push(a, b);
    return { receiver, slack, clock, a, b };
  }

  it('given two instances both following, an incident opened and acknowledged reaches the webhook and Slack once each', async () => {
    const { receiver, slack, a, b } = await twoInstances();
    await a.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    // Each instance runs its followers one step at a time; the two instances at once, twice over.
    for (let round = 0; round < 2; round++) await Promise.all([follow(a), follow(b)]);
    const id = (await a.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await b.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    for (let round = 0; round < 2; round++) await Promise.all([follow(b), follow(a)]);

    expect(receiver.refused).toEqual([]);
    expect(types(receiver)).toEqual(['incident.opened', 'page.sent', 'page.sent', 'incident.acknowledged']);
    expect(new Set(ids(receiver)).size).toBe(4);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(slack.callsOf('chat.update')).toHaveLength(1);
  });

  it('the holder stops renewing (a crash): the other waits out its lease, then goes on from the kept position', async () => {
    const { receiver, slack, clock, a, b } = await twoInstances();
    await a.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow(a);
    expect(receiver.deliveries).toHaveLength(3);
    const id = (await a.api('GET', '/api/v1/incidents')).json.incidents[0].id;

    // a goes silent, holding the lease until 10:00:30: b sends nothing before then.
    clock.set('2026-11-23T10:00:10Z');
    await b.api('POST', `/api/v1/incidents/${id}/acknowledge`, { by: 'alice' });
    const [webhook] = await follow(b);
    expect(webhook).toEqual({ retryAt: new Date('2026-11-23T10:00:30Z') });
    expect(receiver.deliveries).toHaveLength(3);
    expect(slack.callsOf('chat.update')).toHaveLength(0);

    clock.set('2026-11-23T10:00:31Z');
    await follow(b);
    expect(types(receiver)).toEqual(['incident.opened', 'page.sent', 'page.sent', 'incident.acknowledged']);
    expect(new Set(ids(receiver)).size).toBe(4);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(slack.callsOf('chat.update').map((c) => c.args.ts)).toEqual([
      a.service.slack.follower!.messageOf(id)?.ts ?? b.service.slack.follower!.messageOf(id)!.ts,
    ]);

    // a comes back: b holds the lease now, a reads b's progress and sends nothing again.
    await follow(a);
    expect(receiver.deliveries).toHaveLength(4);
    expect(slack.callsOf('chat.update')).toHaveLength(1);
  });

  it('the holder stops (a deploy): it gives the lease up and the other goes on at once', async () => {
    const { receiver, slack, a, b } = await twoInstances();
    await a.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow(a);
    const id = (await a.api('GET', '/api/v1/incidents')).json.incidents[0].id;
    await a.stop();

    await b.api('POST', `/api/v1/incidents/${id}/resolve`, { by: 'alice' });
    await follow(b);
    expect(types(receiver)).toEqual(['incident.opened', 'page.sent', 'page.sent', 'incident.resolved']);
    expect(new Set(ids(receiver)).size).toBe(4);
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    expect(slack.callsOf('chat.update')).toHaveLength(1);
  });
});
