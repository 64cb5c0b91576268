import { createHmac } from 'node:crypto';

/**
 * Twilio's X-Twilio-Signature over a webhook it sends: HMAC-SHA1, keyed with the auth token, of the full URL
 * followed by each form field's name and value in the order of their names, in base64.
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const fields = Object.keys(params)
    .sort()
    .map((name) => name + params[name])
    .join('');
  return createHmac('sha1', authToken)
    .update(url + fields)
    .digest('base64');
}
