import { randomBytes } from 'node:crypto';
import { startFakeServer } from './fake-server.ts';
import { twilioSignature } from './twilio-signature.ts';

export interface TwilioRequest {
  resource: 'Messages' | 'Calls';
  accountSid: string;
  params: Record<string, string>;
  at: Date;
  /** The id answered, which the caller records as the page's provider id. */
  sid: string;
}

export interface FakeTwilio {
  url: string;
  accountSid: string;
  authToken: string;
  requests: TwilioRequest[];
  messages(): Array<{ To: string; From: string; Body: string }>;
  calls(): Array<{ To: string; From: string; Twiml: string }>;
  /** The next `count` requests are answered with this HTTP status and a Twilio error body (and these headers). */
  failNext(status: number, count?: number, headers?: Record<string, string>): void;
  /** The next `count` requests get no answer at all (an outage that hangs rather than refuses). */
  hangNext(count?: number): void;
  /** The X-Twilio-Signature Twilio would send with a webhook to `url` carrying `params`. */
  sign(url: string, params: Record<string, string>): string;
  close(): Promise<void>;
}

/**
 * A local HTTP server that answers like Twilio's REST API for Messages and Calls: the same paths,
 * form-encoded bodies, basic auth with the account SID and auth token, JSON answers with a `sid`, and its
 * limits: an SMS body over 1,600 characters or TwiML over 4,000 is refused with a 400.
 * The real SDK is pointed at it through TWILIO_API_URL.
 */
export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const server = await startFakeServer<TwilioRequest, { status: number; headers: Record<string, string> }>(
    ({ req, body, reply, record, injected }) => {
      const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
      if (req.headers.authorization !== expectedAuth)
        return reply(401, { code: 20003, message: 'Authenticate', status: 401 });
      const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Messages|Calls)\.json$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match)
        return reply(404, { code: 20404, message: 'The requested resource was not found', status: 404 });
      const failure = injected();
      if (failure !== undefined)
        return reply(
          failure.status,
          { code: 20500, message: 'Injected failure', status: failure.status },
          failure.headers,
        );
      const params = Object.fromEntries(new URLSearchParams(body));
      const resource = match[2] as 'Messages' | 'Calls';
      // Twilio's own limits, refused for good as Twilio refuses them.
      if ((params.Body ?? '').length > 1600)
        return reply(400, {
          code: 21617,
          message: 'The concatenated message body exceeds the 1600 character limit',
          status: 400,
        });
      if ((params.Twiml ?? '').length > 4000)
        return reply(400, { code: 21220, message: 'Twiml exceeds the 4000 character limit', status: 400 });
      const sid = `${resource === 'Messages' ? 'SM' : 'CA'}${randomBytes(16).toString('hex')}`;
      record({ resource, accountSid: match[1]!, params, at: new Date(), sid });
      reply(201, {
        sid,
        account_sid: match[1],
        to: params.To,
        from: params.From,
        body: params.Body,
        status: 'queued',
        date_created: new Date().toUTCString(),
      });
    },
  );
  const requests = server.recorded;
  return {
    url: server.url,
    accountSid,
    authToken,
    requests,
    messages: () =>
      requests
        .filter((r) => r.resource === 'Messages')
        .map((r) => r.params as { To: string; From: string; Body: string }),
    calls: () =>
      requests
        .filter((r) => r.resource === 'Calls')
        .map((r) => r.params as { To: string; From: string; Twiml: string }),
    failNext: (status, count = 1, headers = {}) => server.inject({ status, headers }, count),
    hangNext: server.hangNext,
    sign: (url, params) => twilioSignature(authToken, url, params),
    close: server.close,
  };
}
