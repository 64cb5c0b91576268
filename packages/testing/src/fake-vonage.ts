import { randomBytes } from 'node:crypto';
import { startFakeServer } from './fake-server.ts';

export interface VonageSms {
  from: string;
  to: string;
  text: string;
  /** The message id answered, which the caller records as the page's provider id. */
  messageId: string;
}

export interface FakeVonage {
  url: string;
  apiKey: string;
  apiSecret: string;
  messages: VonageSms[];
  /** The next `count` requests are answered with this HTTP status. */
  failNext(status: number, count?: number): void;
  /** The next request is answered 200 with this per-message status (`9` partner quota exceeded…), as Vonage does. */
  refuseNext(status: string, errorText: string): void;
  /** The next `count` requests get no answer at all. */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

/**
 * A local HTTP server that answers like Vonage's SMS API: `POST /sms/json` with the API key and secret
 * (basic auth, as the SDK sends them, or `api_key`/`api_secret` in the body), a JSON or form body of
 * `from`, `to`, `text`, and Vonage's answer shape: HTTP 200 with `message-count` and one entry per
 * message whose `status` is "0" when accepted and an error code otherwise.
 */
export async function startFakeVonage(): Promise<FakeVonage> {
  const apiKey = randomBytes(4).toString('hex');
  const apiSecret = randomBytes(8).toString('hex');
  const server = await startFakeServer<VonageSms, { http: number } | { status: string; errorText: string }>(
    ({ req, body: raw, reply, record, injected }) => {
      if (req.method !== 'POST' || req.url?.split('?')[0] !== '/sms/json')
        return reply(404, { type: 'https://developer.nexmo.com/api-errors#not-found', title: 'Not Found' });
      const body: Record<string, string> = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(raw || '{}') as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(raw));
      const basic = `Basic ${Buffer.from(`${apiKey}:${apiSecret}`).toString('base64')}`;
      const authorised =
        req.headers.authorization === basic || (body.api_key === apiKey && body.api_secret === apiSecret);
      const answer = (status: string, extra: object) =>
        reply(200, { 'message-count': '1', messages: [{ to: body.to, status, ...extra }] });
      if (!authorised) return answer('4', { 'error-text': 'Bad Credentials' });
      const failure = injected();
      if (failure && 'http' in failure) return reply(failure.http, { title: 'Injected failure' });
      if (failure) return answer(failure.status, { 'error-text': failure.errorText });
      if (!body.from || !body.to || !body.text) return answer('2', { 'error-text': 'Missing from, to or text' });
      const messageId = randomBytes(8).toString('hex').toUpperCase();
      record({ from: body.from, to: body.to, text: body.text, messageId });
      answer('0', {
        'message-id': messageId,
        'remaining-balance': '10.00',
        'message-price': '0.03',
        network: '12345',
      });
    },
  );
  return {
    url: server.url,
    apiKey,
    apiSecret,
    messages: server.recorded,
    failNext: (status, count = 1) => server.inject({ http: status }, count),
    refuseNext: (status, errorText) => server.inject({ status, errorText }),
    hangNext: server.hangNext,
    close: server.close,
  };
}
