import twilio, { type Twilio } from 'twilio';
import { NotifierError } from './notifier.ts';

export interface TwilioSettings {
  accountSid: string;
  authToken: string;
  from: string;
  /** Another base URL for the REST API (tests point it at a local server); unset means Twilio's own. */
  apiUrl?: string;
}

/** The official SDK; `apiUrl` redirects its REST calls, as documented for TWILIO_API_URL. */
export function twilioClient(settings: TwilioSettings): Twilio {
  const client = twilio(settings.accountSid, settings.authToken, { autoRetry: false });
  if (settings.apiUrl) client.api.baseUrl = settings.apiUrl.replace(/\/$/, '');
  return client;
}

/** Throttling, server errors and lost connections may pass; a refused request (bad number, bad auth) will not. */
export function twilioFailure(error: unknown): NotifierError {
  const status = (error as { status?: number }).status;
  const message = (error as Error).message ?? String(error);
  const retryable = status === undefined || status === 429 || status >= 500;
  return new NotifierError(`Twilio${status ? ` ${status}` : ''}: ${message}`, retryable);
}
