import { Webhook } from 'standardwebhooks';
import type { WebhookMessage } from './webhook-messages.ts';

export type SendOutcome = { ok: true; status: number } | { ok: false; error: string };

const TIMEOUT_MS = 10_000;

/**
 * Posts one message signed by the Standard Webhooks convention (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`). The timestamp is the attempt's
 * wall-clock time: the receiver holds it against its own clock to refuse old deliveries.
 */
export function webhookSender(url: string, secret: string, wallClock: () => Date) {
  const signer = new Webhook(secret);
  return async (message: WebhookMessage): Promise<SendOutcome> => {
    const body = JSON.stringify(message.body);
    const at = wallClock();
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Klaxon-Webhooks/1',
          'webhook-id': message.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(message.id, at, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300
        ? { ok: true, status: response.status }
        : { ok: false, error: `answered ${response.status}` };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return { ok: false, error: cause ?? (error as Error).message };
    }
  };
}
