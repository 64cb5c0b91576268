import { startFakeSlack, tempDir, VirtualClock, type FakeSlack, type SlackCall } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, startProviders, type Harness } from './support/escalation-harness.ts';
import { testConfig } from './support/test-config.ts';

const configFor = (slack: FakeSlack) =>
  testConfig({
    routes: '  - match: {}\n    policy: default\n    slackChannel: "#incidents"',
    extra: `chat:
  slack:
    botToken: ${slack.botToken}
    signingSecret: ${slack.signingSecret}
    apiUrl: ${slack.url}
`,
  });

const posts = (slack: FakeSlack) => slack.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts);
const summaries = (calls: SlackCall[]) => calls.filter((c) => String(c.args.text).startsWith('Storm in'));

/** One incident per minute from `from`, each its own group (a service of its own). */
async function openEveryMinute(h: Harness, from: number, count: number) {
  for (let i = 0; i < count; i++) {
    h.clock.set(`2026-11-23T10:${String(from + i).padStart(2, '0')}:00Z`);
    await h.alert({ alertname: `Down${from + i}`, service: `svc-${from + i}`, severity: 'critical' });
  }
}

const incidentsByService = async (h: Harness) =>
  new Map<string, { id: string; number: number }>(
    (await h.api('GET', '/api/v1/incidents')).json.incidents.map(
      (i: { id: string; number: number; service: string }) => [i.service, i],
    ),
  );

describe('a storm in a Slack channel: one summary message beyond five incidents in ten minutes', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });

  it('given eight incidents opening one a minute from 10:00, five get their own message, the rest one summary that follows them', async () => {
    const slack = await startFakeSlack();
    open.push(slack);
    const h = await startEscalation({ config: configFor(slack) });
    open.push(h);
    const follow = () => h.service.slack.follower!.drain();

    await openEveryMinute(h, 0, 8);
    await follow();
    expect(posts(slack)).toHaveLength(6);
    const [summary] = summaries(posts(slack));
    expect(summary!.args.channel).toBe('#incidents');
    expect(summary!.args.text).toBe(
      'Storm in #incidents: 3 incidents since 10:05 UTC — 3 open, 0 acknowledged, 0 resolved',
    );
    expect(JSON.stringify(summary!.args.blocks)).toContain('<https://klaxon.example.com/incidents|See them in Klaxon>');

    // Acknowledging one in the storm updates the summary; one with its own message updates that message.
    const incidents = await incidentsByService(h);
    const inStorm = incidents.get('svc-6')!;
    const ownMessage = incidents.get('svc-1')!;
    expect(h.service.slack.follower!.messageOf(inStorm.id)).toBeUndefined();
    const { ts } = h.service.slack.follower!.summaryOf(inStorm.id)!;
    await h.api('POST', `/api/v1/incidents/${inStorm.id}/acknowledge`, { by: 'alice' });
    await h.api('POST', `/api/v1/incidents/${ownMessage.id}/resolve`, { by: 'alice' });
    await h.api('POST', `/api/v1/incidents/${inStorm.id}/status-updates`, { by: 'alice', text: 'Rolling back' });
    await follow();
    const updates = slack.callsOf('chat.update');
    expect(summaries(updates).map((u) => [u.args.ts, u.args.text])).toEqual([
      [ts, 'Storm in #incidents: 3 incidents since 10:05 UTC — 2 open, 1 acknowledged, 0 resolved'],
    ]);
    expect(updates.map((u) => u.args.ts)).toContain(h.service.slack.follower!.messageOf(ownMessage.id)!.ts);
    expect(
      slack
        .callsOf('chat.postMessage')
        .filter((c) => c.args.thread_ts)
        .map((c) => [c.args.thread_ts, c.args.text]),
    ).toEqual([[ts, `#${inStorm.number} status update from alice: Rolling back`]]);

    // 10:08 is within ten minutes of 10:07, the storm's last: it joins. 10:19 is past: its own message again.
    await openEveryMinute(h, 8, 1);
    await follow();
    expect(posts(slack)).toHaveLength(6);
    expect(summaries(slack.callsOf('chat.update')).at(-1)!.args.text).toMatch(/^Storm in #incidents: 4 incidents/);
    await openEveryMinute(h, 19, 1);
    await follow();
    expect(posts(slack)).toHaveLength(7);
    expect(posts(slack).at(-1)!.args.text).toMatch(/^P1 #\d+ /);
  });

  it('restarted in a storm: the next incident joins the same summary, counted with those before the restart', async () => {
    const slack = await startFakeSlack();
    const dir = tempDir('klaxon-storm-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    open.push(slack, providers, { close: async () => dir.remove() });
    const first = await startEscalation({ dir, providers, clock, config: configFor(slack) });
    await openEveryMinute(first, 0, 7);
    await first.service.slack.follower!.drain();
    const { ts } = first.service.slack.follower!.summaryOf((await incidentsByService(first)).get('svc-5')!.id)!;
    await first.stop();

    const second = await startEscalation({ dir, providers, clock, config: configFor(slack) });
    open.push(second);
    await openEveryMinute(second, 7, 1);
    await second.service.slack.follower!.drain();
    expect(posts(slack)).toHaveLength(6);
    expect(summaries(posts(slack))).toHaveLength(1);
    const update = summaries(slack.callsOf('chat.update')).at(-1)!;
    expect(update.args.ts).toBe(ts);
    expect(update.args.text).toBe(
      'Storm in #incidents: 3 incidents since 10:05 UTC — 3 open, 0 acknowledged, 0 resolved',
    );
  });
});
