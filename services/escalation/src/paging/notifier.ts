import type { Channel, ContactSpec, Incident, PageState } from '@klaxon/domain';

export interface OutgoingPage {
  page: PageState;
  incident: Incident;
  contactName: string;
  contact: ContactSpec;
  /**
   * `incident`: the one-tap link, where this responder sees the incident and acknowledges, resolves or
   * escalates it without a sign-in; `api`: the incident in the HTTP API.
   */
  links: { incident: string; api: string };
}

/**
 * Pages to one contact on one channel that waited for the throttle and go out as one message. `number` is
 * the bundle's reply code: `<number>aa` acknowledges every incident in it, `<number>cc` resolves them.
 */
export interface OutgoingBundle {
  number: number;
  contactName: string;
  contact: ContactSpec;
  pages: OutgoingPage[];
  /** Where the responder sees every incident at once. */
  links: { incidents: string };
}

/**
 * A message to a person that is no page of an incident: a verification code, a test page, a notice that
 * their shift moved. It asks for no acknowledgement and carries no reply code.
 */
export interface OutgoingNotice {
  contactName: string;
  contact: ContactSpec;
  /** The email subject; SMS and voice say `text` alone. */
  subject: string;
  text: string;
}

/** What a provider answered: its id for the message or call, and which provider it was (`twilio`, `vonage`…). */
export interface Sent {
  providerId: string;
  provider?: string;
}

/** One channel's provider (Twilio SMS, Twilio voice, SMTP), or several in failover, behind one small interface. */
export interface Notifier {
  readonly channel: Channel;
  send(page: OutgoingPage): Promise<Sent>;
  sendBundle(bundle: OutgoingBundle): Promise<Sent>;
  sendNotice(notice: OutgoingNotice): Promise<Sent>;
}

/**
 * A provider refused or failed; `retryable` says whether the same page may succeed later. `providerSide`:
 * the fault is the provider's (an outage, a timeout, its account or capacity), so another provider may carry
 * the page at once; a refusal of the page itself (a bad number) is no reason to try elsewhere.
 */
export class NotifierError extends Error {
  override readonly name = 'NotifierError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** How long the provider asked to be left alone (HTTP 429 with Retry-After). */
    readonly retryAfterMs?: number,
    readonly providerSide: boolean = retryable,
  ) {
    super(message);
  }
}

/** Stands where a channel has no provider configured, so the page fails with a reason instead of vanishing. */
export const unconfiguredNotifier = (channel: Channel, hint: string): Notifier => ({
  channel,
  async send() {
    throw new NotifierError(`${channel} is not configured: ${hint}`, false);
  },
  async sendBundle() {
    throw new NotifierError(`${channel} is not configured: ${hint}`, false);
  },
  async sendNotice() {
    throw new NotifierError(`${channel} is not configured: ${hint}`, false);
  },
});
