import { createHash, createHmac, generateKeyPairSync, randomBytes, randomUUID, verify } from 'node:crypto';
import { startFakeServer } from './fake-server.ts';

export interface VonageSms {
  from: string;
  to: string;
  text: string;
  /** The message id answered, which the caller records as the page's provider id. */
  messageId: string;
}

export interface VonageCall {
  to: string;
  from: string;
  /** The call's NCCO as sent: what it says, and where its keypress goes (`input`'s `eventUrl`). */
  ncco: Array<Record<string, unknown>>;
  /** The call's id answered, which the caller records as the page's provider id. */
  uuid: string;
}

type Taken = ({ kind: 'sms' } & VonageSms) | ({ kind: 'call' } & VonageCall);

export interface FakeVonage {
  url: string;
  apiKey: string;
  apiSecret: string;
  /** The Voice application's id and private key (PEM), as VONAGE_APPLICATION_ID and VONAGE_PRIVATE_KEY. */
  applicationId: string;
  privateKey: string;
  /** The account's signature secret, which signs Vonage's webhooks (VONAGE_SIGNATURE_SECRET). */
  signatureSecret: string;
  readonly messages: VonageSms[];
  readonly calls: VonageCall[];
  /** The next `count` requests are answered with this HTTP status. */
  failNext(status: number, count?: number): void;
  /** The next request is answered 200 with this per-message status (`9` partner quota exceeded…), as Vonage does. */
  refuseNext(status: string, errorText: string): void;
  /** The next `count` requests get no answer at all. */
  hangNext(count?: number): void;
  /** The Authorization header Vonage sends with a webhook of this body: a JWT signed with the signature secret. */
  signWebhook(body: string, secret?: string): string;
  close(): Promise<void>;
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** The JWT of an application (RS256, its private key), as the SDK sends it, checked against its public key. */
function applicationJwtValid(header: string | undefined, publicKey: string, applicationId: string): boolean {
  const [head, claims, signature] = /^Bearer (.+)$/.exec(header ?? '')?.[1]?.split('.') ?? [];
  if (!head || !claims || !signature) return false;
  const signed = verify('RSA-SHA256', Buffer.from(`${head}.${claims}`), publicKey, Buffer.from(signature, 'base64url'));
  const payload = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { application_id?: string };
  return signed && payload.application_id === applicationId;
}

/**
 * A local HTTP server that answers like Vonage's SMS API and Voice API.
 * SMS: `POST /sms/json` with the API key and secret (basic auth, as the SDK sends them, or
 * `api_key`/`api_secret` in the body), a JSON or form body of `from`, `to`, `text`, and Vonage's answer
 * shape: HTTP 200 with `message-count` and one entry per message whose `status` is "0" when accepted and an
 * error code otherwise. Voice: `POST /v1/calls` with an application's JWT, a JSON body of `to`, `from` and
 * `ncco`, answered 201 with the call's `uuid`.
 */
export async function startFakeVonage(): Promise<FakeVonage> {
  const apiKey = randomBytes(4).toString('hex');
  const apiSecret = randomBytes(8).toString('hex');
  const applicationId = randomUUID();
  const signatureSecret = randomBytes(24).toString('hex');
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const server = await startFakeServer<Taken, { http: number } | { status: string; errorText: string }>(
    ({ req, body: raw, reply, record, injected }) => {
      const path = req.url?.split('?')[0];
      if (req.method === 'POST' && path === '/v1/calls') {
        if (!applicationJwtValid(req.headers.authorization, publicKey, applicationId))
          return reply(401, { type: 'https://developer.nexmo.com/api-errors#unauthorized', title: 'Unauthorized' });
        const failure = injected();
        if (failure) return reply('http' in failure ? failure.http : 500, { title: 'Injected failure' });
        const call = JSON.parse(raw || '{}') as {
          to?: Array<{ type: string; number?: string }>;
          from?: { number?: string };
          ncco?: Array<Record<string, unknown>>;
        };
        const to = call.to?.[0]?.number;
        if (!to || !call.from?.number || !call.ncco)
          return reply(400, { type: 'https://developer.nexmo.com/api-errors#bad-request', title: 'Bad Request' });
        const uuid = randomUUID();
        record({ kind: 'call', to, from: call.from.number, ncco: call.ncco, uuid });
        return reply(201, { uuid, status: 'started', direction: 'outbound', conversation_uuid: `CON-${randomUUID()}` });
      }
      if (req.method !== 'POST' || path !== '/sms/json')
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
      record({ kind: 'sms', from: body.from, to: body.to, text: body.text, messageId });
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
    applicationId,
    privateKey,
    signatureSecret,
    // Read afresh at each look, so a test may keep the fake and look again later.
    get messages() {
      return server.recorded.flatMap(({ kind, ...sms }) => (kind === 'sms' ? [sms as VonageSms] : []));
    },
    get calls() {
      return server.recorded.flatMap(({ kind, ...call }) => (kind === 'call' ? [call as VonageCall] : []));
    },
    failNext: (status, count = 1) => server.inject({ http: status }, count),
    refuseNext: (status, errorText) => server.inject({ status, errorText }),
    hangNext: server.hangNext,
    signWebhook: (body, secret = signatureSecret) => {
      const head = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
      const claims = base64url(
        JSON.stringify({
          iat: Math.floor(Date.now() / 1000),
          jti: randomUUID(),
          iss: 'Vonage',
          payload_hash: createHash('sha256').update(body).digest('hex'),
          api_key: apiKey,
          application_id: applicationId,
        }),
      );
      const signature = createHmac('sha256', secret).update(`${head}.${claims}`).digest('base64url');
      return `Bearer ${head}.${claims}.${signature}`;
    },
    close: server.close,
  };
}
