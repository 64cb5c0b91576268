import { startFakeSlack, slackSignature, tempDir, VirtualClock, type FakeSlack, type SlackCall } from '@klaxon/testing';
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

const seconds = (h: Harness) => Math.floor(h.clock.now().getTime() / 1000);

/** A request as Slack sends it to Klaxon: form-encoded, signed with the app's signing secret (or `as` says). */
async function fromSlack(
  h: Harness,
  slack: FakeSlack,
  path: 'interactions' | 'commands',
  fields: Record<string, string>,
  as: { secret?: string; timestamp?: number; body?: string } = {},
) {
  const body = as.body ?? new URLSearchParams(fields).toString();
  const response = await fetch(`${h.base}/webhooks/slack/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...slackSignature(as.secret ?? slack.signingSecret, as.timestamp ?? seconds(h), body),
    },
    body,
  });
  const text = await response.text();
  await h.service.drained();
  return {
    status: response.status,
    body: text ? (JSON.parse(text) as { text?: string; error?: string }) : {},
    raw: body,
  };
}

const click = (user: string, value: string) => ({
  payload: JSON.stringify({
    type: 'block_actions',
    user: { id: user },
    channel: { id: 'C0INCIDENTS' },
    actions: [{ action_id: `klaxon_${value.split(':')[0]}`, value }],
  }),
});

const buttonsOf = (call: SlackCall): string[] =>
  (call.args.blocks as Array<{ type: string; elements?: Array<{ value: string }> }>)
    .find((b) => b.type === 'actions')
    ?.elements?.map((e) => e.value) ?? [];

describe('Slack, both ways', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const thing of open.splice(0).reverse()) await thing.close();
  });
  const start = async () => {
    const slack = await startFakeSlack();
    open.push(slack);
    const h = await startEscalation({ config: configFor(slack) });
    open.push(h);
    const follow = () => h.service.slack.follower!.drain();
    return { slack, h, follow };
  };
  const incidentOf = async (h: Harness) => {
    const { id } = (await h.api('GET', '/api/v1/incidents')).json.incidents[0];
    return (await h.api('GET', `/api/v1/incidents/${id}`)).json;
  };

  it('given a P1 opened at 10:00 on a route with #incidents: one message with severity, title, service, who is paged, the link and three buttons', async () => {
    const { slack, h, follow } = await start();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' }, { summary: 'Orders API down' });
    await follow();
    const { incident } = await incidentOf(h);
    const posts = slack.callsOf('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.args.channel).toBe('#incidents');
    const text = JSON.stringify(posts[0]!.args.blocks);
    expect(text).toContain(`*P1 #${incident.number}*`);
    expect(text).toContain('Orders API down');
    expect(text).toContain('*Service:* orders');
    expect(text).toContain('*Paged:* alice');
    expect(text).toContain(`https://klaxon.example.com/incidents/${incident.id}`);
    expect(buttonsOf(posts[0]!)).toEqual([`ack:${incident.id}`, `resolve:${incident.id}`, `escalate:${incident.id}`]);
  });

  it('acknowledged from the API at 10:02, then a status update: the same message is updated in place, the update goes in its thread', async () => {
    const { slack, h, follow } = await start();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow();
    const { incident } = await incidentOf(h);
    const { ts, channel } = h.service.slack.follower!.messageOf(incident.id)!;
    h.clock.set('2026-11-23T10:02:00Z');
    await h.api('POST', `/api/v1/incidents/${incident.id}/acknowledge`, { by: 'alice' });
    await h.api('POST', `/api/v1/incidents/${incident.id}/status-updates`, { by: 'alice', text: 'Rolling back' });
    await follow();

    expect(slack.callsOf('chat.postMessage').filter((c) => !c.args.thread_ts)).toHaveLength(1);
    const updates = slack.callsOf('chat.update');
    expect(updates.map((u) => [u.args.channel, u.args.ts])).toEqual([[channel, ts]]);
    expect(JSON.stringify(updates[0]!.args.blocks)).toContain('Acknowledged by alice (api)');
    expect(buttonsOf(updates[0]!)).toEqual([`resolve:${incident.id}`, `escalate:${incident.id}`]);
    const thread = slack.callsOf('chat.postMessage').filter((c) => c.args.thread_ts);
    expect(thread.map((c) => [c.args.thread_ts, c.args.text])).toEqual([
      [ts, 'Status update from alice: Rolling back'],
    ]);
  });

  it('a signed Acknowledge click from alice (her Slack id in klaxon.yaml) acknowledges as alice, via slack; she is told privately', async () => {
    const { slack, h, follow } = await start();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow();
    const { incident } = await incidentOf(h);
    const answer = await fromSlack(h, slack, 'interactions', click('UALICE001', `ack:${incident.id}`));
    expect(answer.status).toBe(200);
    const { incident: after, timeline } = await incidentOf(h);
    expect(after.status).toBe('acknowledged');
    expect(timeline.find((e: { type: string }) => e.type === 'Acknowledged')).toMatchObject({
      by: 'alice',
      via: 'slack',
      actor: { kind: 'person', name: 'alice' },
    });
    expect(slack.callsOf('chat.postEphemeral').map((c) => [c.args.user, c.args.text])).toEqual([
      ['UALICE001', `Klaxon: Acknowledged #${incident.number} as alice.`],
    ]);
    await follow();
    expect(JSON.stringify(slack.callsOf('chat.update').at(-1)!.args.blocks)).toContain('Acknowledged by alice (slack)');
  });

  it('bob, with no Slack id in klaxon.yaml but his email in his Slack profile, resolves by the button as bob', async () => {
    const { slack, h, follow } = await start();
    slack.users.set('UBOB00002', 'Bob@Example.com');
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow();
    const { incident } = await incidentOf(h);
    expect((await fromSlack(h, slack, 'interactions', click('UBOB00002', `resolve:${incident.id}`))).status).toBe(200);
    const { incident: after } = await incidentOf(h);
    expect(after.resolved).toMatchObject({ by: 'bob', via: 'slack' });
    expect(slack.callsOf('users.info').map((c) => c.args.user)).toEqual(['UBOB00002']);
  });

  it('an unmapped Slack user gets a private refusal saying how to link, and nothing is done', async () => {
    const { slack, h, follow } = await start();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow();
    const { incident } = await incidentOf(h);
    await fromSlack(h, slack, 'interactions', click('USTRANGER', `ack:${incident.id}`));
    expect((await incidentOf(h)).incident.status).toBe('open');
    const [refusal] = slack.callsOf('chat.postEphemeral');
    expect(refusal!.args).toMatchObject({ user: 'USTRANGER', channel: 'C0INCIDENTS' });
    expect(refusal!.args.text).toContain('add `slack: USTRANGER` to your contact in klaxon.yaml');
    const command = await fromSlack(h, slack, 'commands', { command: '/klaxon', text: 'ack 1', user_id: 'USTRANGER' });
    expect(command.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('slack: USTRANGER'),
    });
    expect((await incidentOf(h)).incident.status).toBe('open');
  });

  it('alice made a viewer: her click is refused privately for want of the responder role, and nothing is done', async () => {
    const slack = await startFakeSlack();
    open.push(slack);
    const config = configFor(slack);
    config.contacts.alice!.role = 'viewer';
    const h = await startEscalation({ config });
    open.push(h);
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    const { incident } = await incidentOf(h);
    await fromSlack(h, slack, 'interactions', click('UALICE001', `ack:${incident.id}`));
    expect((await incidentOf(h)).incident.status).toBe('open');
    expect(slack.callsOf('chat.postEphemeral').map((c) => c.args.text)).toEqual([
      'alice is a viewer in Klaxon; acting on incidents needs the responder role.',
    ]);
  });

  it('a click signed with another secret, one signed six minutes ago, and the same signed click sent twice are refused', async () => {
    const { slack, h, follow } = await start();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow();
    const { incident } = await incidentOf(h);
    const ack = click('UALICE001', `ack:${incident.id}`);

    const forged = await fromSlack(h, slack, 'interactions', ack, { secret: 'not-the-signing-secret-0000' });
    expect(forged).toMatchObject({ status: 403, body: { error: 'invalid X-Slack-Signature' } });
    const old = await fromSlack(h, slack, 'interactions', ack, { timestamp: seconds(h) - 6 * 60 });
    expect(old).toMatchObject({ status: 403, body: { error: expect.stringContaining('five-minute window') } });
    // Within the window (four minutes old) a genuine click is taken.
    const genuine = await fromSlack(h, slack, 'interactions', ack, { timestamp: seconds(h) - 4 * 60 });
    expect(genuine.status).toBe(200);
    expect((await incidentOf(h)).incident.status).toBe('acknowledged');
    const replayed = await fromSlack(h, slack, 'interactions', ack, { timestamp: seconds(h) - 4 * 60 });
    expect(replayed).toMatchObject({ status: 403, body: { error: expect.stringContaining('replayed') } });
    expect(slack.callsOf('chat.postEphemeral')).toHaveLength(1);
  });

  it('/klaxon ack 1 from alice acknowledges incident #1 as her; /klaxon oncall says who is on call; gibberish gets the help', async () => {
    const { slack, h, follow } = await start();
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await follow();
    const { incident } = await incidentOf(h);
    const command = (text: string) =>
      fromSlack(h, slack, 'commands', { command: '/klaxon', text, user_id: 'UALICE001', channel_id: 'C0INCIDENTS' });
    expect((await command(`ack ${incident.number}`)).body).toEqual({
      response_type: 'ephemeral',
      text: `Klaxon: Acknowledged #${incident.number} as alice.`,
    });
    expect((await incidentOf(h)).incident.acknowledged).toMatchObject({ by: 'alice', via: 'slack' });
    expect((await command('oncall')).body.text).toBe('On call now:\n*default*: L1 alice · L2 tom · L3 erin · L4 carl');
    expect((await command('ack 999')).body.text).toBe('Klaxon: no incident #999.');
    expect((await command('dance')).body.text).toContain('/klaxon ack 42');
  });

  it('/klaxon take 2h from bob (found by his Slack email) puts him on call as himself; take until 08:00 from alice ends at 08:00 her time', async () => {
    const { slack, h } = await start();
    slack.users.set('UBOB00002', 'bob@example.com');
    const command = (user: string, text: string, as?: { secret?: string }) =>
      fromSlack(h, slack, 'commands', { command: '/klaxon', text, user_id: user, channel_id: 'C0INCIDENTS' }, as);
    const overrides = async () => (await h.store.readStream('schedule-primary')).map((e) => e.data);

    // Signed with another secret: refused, nobody goes on call.
    const forged = await command('UBOB00002', 'take 2h', { secret: 'not-the-signing-secret-0000' });
    expect(forged.status).toBe(403);
    expect(await overrides()).toEqual([]);

    expect((await command('UBOB00002', 'take 2h')).body).toEqual({
      response_type: 'ephemeral',
      text: 'Klaxon: you are on call for primary until Mon 23 Nov 07:00 (America/New_York).',
    });
    expect(await overrides()).toEqual([
      expect.objectContaining({
        person: 'bob',
        start: '2026-11-23T10:00:00.000Z',
        end: '2026-11-23T12:00:00.000Z',
        actor: { kind: 'person', name: 'bob' },
      }),
    ]);
    expect((await command('UBOB00002', 'oncall')).body.text).toContain('*default*: L1 bob ·');

    // 10:00 UTC is 11:00 in Berlin: until 08:00 is tomorrow morning there.
    expect((await command('UALICE001', 'take until 08:00')).body.text).toBe(
      'Klaxon: you are on call for primary until Tue 24 Nov 08:00 (Europe/Berlin).',
    );
    expect((await overrides()).at(-1)).toMatchObject({ person: 'alice', end: '2026-11-24T07:00:00.000Z' });
    expect((await command('UALICE001', 'take soon')).body.text).toMatch(/^Klaxon: not taken: .*e\.g\. take 2h/);
  });

  it('/klaxon take 2h from a viewer, or from a Slack user who is nobody in klaxon.yaml, changes nothing', async () => {
    const slack = await startFakeSlack();
    open.push(slack);
    const config = configFor(slack);
    config.contacts.alice!.role = 'viewer';
    const h = await startEscalation({ config });
    open.push(h);
    const command = (user: string) =>
      fromSlack(h, slack, 'commands', { command: '/klaxon', text: 'take 2h', user_id: user });
    expect((await command('UALICE001')).body.text).toBe(
      'Klaxon: not taken: alice is a viewer; changing on-call time needs the responder role.',
    );
    expect((await command('USTRANGER')).body.text).toContain('slack: USTRANGER');
    expect(await h.store.readStream('schedule-primary')).toEqual([]);
  });

  it('restarted after the message was posted: a resolution updates that message, no second one is posted', async () => {
    const slack = await startFakeSlack();
    const dir = tempDir('klaxon-slack-');
    const providers = await startProviders();
    const clock = new VirtualClock('2026-11-23T10:00:00Z');
    const first = await startEscalation({ dir, providers, clock, config: configFor(slack) });
    await first.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await first.service.slack.follower!.drain();
    const { incident } = await incidentOf(first);
    const { ts } = first.service.slack.follower!.messageOf(incident.id)!;
    await first.stop();

    const second = await startEscalation({ dir, providers, clock, config: configFor(slack) });
    open.push(slack, second, providers, { close: async () => dir.remove() });
    await second.api('POST', `/api/v1/incidents/${incident.id}/resolve`, { by: 'alice' });
    await second.service.slack.follower!.drain();
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    const update = slack.callsOf('chat.update').at(-1)!;
    expect(update.args.ts).toBe(ts);
    expect(JSON.stringify(update.args.blocks)).toContain('Resolved by alice (api)');
    expect(buttonsOf(update)).toEqual([]);
  });

  it('Slack answering 500 at first: the follower tries again from its kept position and posts the message once', async () => {
    const { slack, h, follow } = await start();
    slack.failNext(500, 3);
    await h.alert({ alertname: 'OrdersDown', service: 'orders', severity: 'critical' });
    await expect(follow()).rejects.toThrow();
    await follow();
    expect(slack.callsOf('chat.postMessage')).toHaveLength(1);
    const { incident } = await incidentOf(h);
    expect(h.service.slack.follower!.messageOf(incident.id)).toBeDefined();
  });
});
