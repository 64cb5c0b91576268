import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/index.ts';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

const withChat = (extra: string, route = '  - { match: {}, policy: default }') => `
severities:
${['P1', 'P2', 'P3', 'P4'].map((p) => `  ${p}: { escalateAfter: [], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }`).join('\n')}
contacts:
  alice: { phone: "+15550100001", slack: U024BE7LH }
policies:
  default: { slackChannel: "#incidents", levels: { L1: { targets: [contact:alice], channels: [sms] } } }
routes:
${route}
${extra}
`;
const problemsOf = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, 'chat.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
};

describe('chat and webhooks in klaxon.yaml', () => {
  it('takes a webhook whose secret comes from the environment, Slack, and channels on routes and policies', () => {
    const config = parseConfig(
      withChat(
        `webhooks:
  - { name: tickets, url: "https://tickets.example.com/hooks", events: [incident.opened, page.failed], secret: "\${TICKETS_SECRET}" }
chat:
  slack: { botToken: "\${SLACK_BOT_TOKEN}", signingSecret: "\${SLACK_SIGNING_SECRET}" }`,
        '  - { match: { team: payments }, policy: default, slackChannel: C0PAYMENTS }',
      ),
      'chat.yaml',
      {
        TICKETS_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
        SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99yyyzzz85a5',
      },
    );
    expect(config.webhooks).toEqual([
      {
        name: 'tickets',
        url: 'https://tickets.example.com/hooks',
        events: ['incident.opened', 'page.failed'],
        secret: SECRET,
      },
    ]);
    expect(config.chat.slack).toEqual({ botToken: 'xoxb-1-2-abc', signingSecret: '8f742231b10e8888abcd99yyyzzz85a5' });
    expect(config.routes[0]!.slackChannel).toBe('C0PAYMENTS');
    expect(config.policies.default!.slackChannel).toBe('#incidents');
    expect(config.contacts.alice!.slack).toBe('U024BE7LH');
  });

  it('without them: no webhooks, no Slack', () => {
    const config = parseConfig(withChat(''), 'chat.yaml', {});
    expect(config.webhooks).toEqual([]);
    expect(config.chat).toEqual({});
  });

  it('refuses a secret not in whsec_ form, an unknown event, a name given twice, a bad URL, channel or Slack id', () => {
    const webhook = (name: string, more = '') =>
      `  - { name: ${name}, url: "https://x.example.com", events: [incident.opened], secret: "${SECRET}"${more} }`;
    expect(
      problemsOf(
        withChat(`webhooks:
  - { name: a, url: "https://x.example.com", events: [incident.opened], secret: "hunter2" }
  - { name: b, url: "https://x.example.com", events: [incident.exploded], secret: "${SECRET}" }
  - { name: c, url: "ftp://x.example.com", events: [incident.opened], secret: "${SECRET}" }
${webhook('d', ', x: 1')}`),
      ).map((p) => p.path),
    ).toEqual(['webhooks.0.secret', 'webhooks.1.events.0', 'webhooks.2.url', 'webhooks.3']);
    expect(problemsOf(withChat(`webhooks:\n${webhook('b')}\n${webhook('b')}`))).toEqual([
      { path: 'webhooks.1.name', message: '"b" is named twice' },
    ]);
    expect(
      problemsOf(withChat('', '  - { match: {}, policy: default, slackChannel: "incidents" }')).map((p) => p.path),
    ).toEqual(['routes.0.slackChannel']);
    expect(problemsOf(withChat('').replace('slack: U024BE7LH', 'slack: "@alice"')).map((p) => p.path)).toEqual([
      'contacts.alice.slack',
    ]);
  });
});
