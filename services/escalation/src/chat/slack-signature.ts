import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from '@klaxon/service-kit';

/** Slack's window: a request signed longer ago than this, or this far ahead, is refused. */
export const SLACK_WINDOW_SECONDS = 5 * 60;
const MAX_REMEMBERED = 100_000;

export type SlackCheck = { ok: true } | { ok: false; reason: string };

/**
 * Slack's request signing, v0: `X-Slack-Signature` is `v0=` and the hex HMAC-SHA256, keyed by the app's
 * signing secret, of `v0:<X-Slack-Request-Timestamp>:<raw body>`; the timestamp must be within five
 * minutes of now. A signature seen once is refused after, within the window (after it, the timestamp is).
 */
export function slackRequestCheck(signingSecret: string | undefined, clock: Clock) {
  const seen = new Map<string, number>();
  return (headers: IncomingHttpHeaders, raw: Buffer | undefined): SlackCheck => {
    if (!signingSecret) return { ok: false, reason: 'Slack is not configured (chat.slack)' };
    const timestamp = headers['x-slack-request-timestamp'];
    const signature = headers['x-slack-signature'];
    if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp) || typeof signature !== 'string' || !raw)
      return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
    const nowSeconds = Math.floor(clock.now().getTime() / 1000);
    if (Math.abs(nowSeconds - Number(timestamp)) > SLACK_WINDOW_SECONDS)
      return { ok: false, reason: 'X-Slack-Request-Timestamp is outside the five-minute window' };
    const expected = Buffer.from(
      `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`,
    );
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'invalid X-Slack-Signature' };
    for (const [seenSignature, until] of seen) {
      if (until >= nowSeconds && seen.size < MAX_REMEMBERED) break;
      seen.delete(seenSignature);
    }
    if (seen.has(signature)) return { ok: false, reason: 'a request already taken (replayed)' };
    seen.set(signature, Number(timestamp) + SLACK_WINDOW_SECONDS);
    return { ok: true };
  };
}
