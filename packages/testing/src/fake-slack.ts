import { createHmac, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- arguments as Slack decodes them
  args: Record<string, any>;
}

export interface FakeSlack {
  /** Slack's Web API base as the SDK takes it (`slackApiUrl`). */
  url: string;
  botToken: string;
  signingSecret: string;
  calls: SlackCall[];
  callsOf(method: string): SlackCall[];
  /** Users `users.info` knows, by id, with the email of their profile. */
  users: Map<string, string>;
  /** Channels by name, each with its id; a channel not here answers `channel_not_found`. */
  channels: Map<string, string>;
  /** The next `count` calls are answered with this HTTP status (a 500, a 429 with Retry-After). */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

/**
 * A local HTTP server with the shape of Slack's Web API for what Klaxon calls: `POST /api/<method>` with a
 * form-encoded body (JSON-encoded fields such as `blocks`), `Authorization: Bearer <bot token>`, answers
 * `{ok: true, …}` or `{ok: false, error}` as Slack does. The official SDK is pointed at it by `slackApiUrl`.
 */
export async function startFakeSlack(): Promise<FakeSlack> {
  const botToken = `xoxb-${randomBytes(12).toString('hex')}`;
  let ts = 1_764_000_000;
  const failures: number[] = [];
  const slack: FakeSlack = {
    url: '',
    botToken,
    signingSecret: randomBytes(16).toString('hex'),
    calls: [],
    callsOf: (method) => slack.calls.filter((c) => c.method === method),
    users: new Map(),
    channels: new Map([['#incidents', 'C0INCIDENTS']]),
    failNext: (status, count = 1) => failures.push(...Array<number>(count).fill(status)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const answer = (method: string, args: Record<string, string>): Record<string, unknown> => {
    const channel = args.channel?.startsWith('#') ? slack.channels.get(args.channel) : args.channel;
    switch (method) {
      case 'chat.postMessage':
        if (!channel) return { ok: false, error: 'channel_not_found' };
        return { ok: true, channel, ts: `${ts++}.000100`, message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `${ts++}.000200` };
      case 'users.info': {
        const email = slack.users.get(args.user ?? '');
        return email
          ? { ok: true, user: { id: args.user, profile: { email } } }
          : { ok: false, error: 'user_not_found' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const method = /^\/api\/([a-zA-Z.]+)$/.exec(req.url ?? '')?.[1];
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) =>
        void res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
      if (req.method !== 'POST' || !method) return send(404, { ok: false, error: 'unknown_method' });
      const failure = failures.shift();
      if (failure === 429) return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
      if (failure) return send(failure, { ok: false, error: 'fatal_error' });
      if (req.headers.authorization !== `Bearer ${botToken}`) return send(200, { ok: false, error: 'invalid_auth' });
      const args = Object.fromEntries(new URLSearchParams(body));
      const decoded = Object.fromEntries(
        Object.entries(args).map(([k, v]) => [k, k === 'blocks' ? (JSON.parse(v) as unknown) : v]),
      );
      slack.calls.push({ method, args: decoded });
      send(200, answer(method, args));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  slack.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return slack;
}

/** A request to Klaxon signed as Slack signs it (v0), at `timestamp` in seconds. */
export function slackSignature(signingSecret: string, timestamp: number, body: string): Record<string, string> {
  const signature = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature };
}
