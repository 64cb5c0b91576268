import { AsyncLocalStorage } from 'node:async_hooks';
import twilio, { type Twilio } from 'twilio';
import { NotifierError } from './notifier.ts';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  /** Another base URL for the REST API (tests point it at a local server); unset means Twilio's own. */
  apiUrl?: string;
  /** How long a call may take before it counts as a fault of Twilio's (and the next provider is tried). */
  timeoutMs?: number;
}

/** The Retry-After of the answer to the SDK call running in this async context. */
const answers = new AsyncLocalStorage<{ retryAfter?: string }>();

/**
 * The SDK's own HTTP client, noting the Retry-After of each answer for the call that asked: the SDK's
 * RestException carries the body of a 429, not its headers, and calls run side by side.
 */
class RetryAfterNotingClient extends twilio.RequestClient {
  override async request<TData>(opts: Parameters<twilio.RequestClient['request']>[0]) {
    const response = await super.request<TData>(opts as never);
    const noted = answers.getStore();
    const headers = response.headers as Record<string, string | undefined> | undefined;
    if (noted && headers?.['retry-after'] !== undefined) noted.retryAfter = headers['retry-after'];
    return response;
  }
}

/** The official SDK; `apiUrl` redirects its REST calls, as documented for TWILIO_API_URL. */
export function twilioClient(settings: TwilioSettings): Twilio {
  const client = twilio(settings.accountSid, settings.authToken, {
    autoRetry: false,
    httpClient: new RetryAfterNotingClient({ autoRetry: false, timeout: settings.timeoutMs }),
  });
  if (settings.apiUrl) client.api.baseUrl = settings.apiUrl.replace(/\/$/, '');
  return client;
}

/** Retry-After is seconds or an HTTP date. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * One SDK call; its failure becomes a NotifierError. Throttling, server errors, timeouts and lost
 * connections may pass; a refused request (bad number, bad auth) will not. A 429's Retry-After goes with it.
 * Bad auth or a suspended account (401, 403) is Twilio's side all the same: another provider may carry it.
 */
export async function twilioCall<T>(call: () => Promise<T>): Promise<T> {
  const noted: { retryAfter?: string } = {};
  try {
    return await answers.run(noted, call);
  } catch (error) {
    const status = (error as { status?: number }).status;
    const message = (error as Error).message ?? String(error);
    const retryable = status === undefined || status === 429 || status >= 500;
    const wait = retryable ? retryAfterMs(noted.retryAfter, Date.now()) : undefined;
    const accountFault = status === 401 || status === 403;
    throw new NotifierError(
      `Twilio${status ? ` ${status}` : ''}: ${message}`,
      retryable,
      wait,
      retryable || accountFault,
    );
  }
}
