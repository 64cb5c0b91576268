/**
 * Where Twilio reports what became of one page's message or call. The incident and page ride in the query
 * string, which Twilio signs with the rest of the URL, so a receipt names its page before the send's own
 * outcome is recorded and nobody can point one at another page.
 */
export const receiptCallbackUrl = (publicUrl: string, incidentId: string, pageId: string): string =>
  `${publicUrl}/webhooks/twilio/status?incident=${encodeURIComponent(incidentId)}&page=${encodeURIComponent(pageId)}`;
