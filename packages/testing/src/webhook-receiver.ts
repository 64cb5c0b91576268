import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  id: string;
  timestamp: string;
  signature: string;
  raw: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the JSON as it came
  body: any;
}

export interface WebhookReceiver {
  url: string;
  secret: string;
  /** Deliveries whose signature the Standard Webhooks library verified, in arrival order. */
  deliveries: Delivery[];
  /** Requests refused, with the library's reason. */
  refused: string[];
  /** While down, every request is answered 503; the ids of those it so answered. */
  down: boolean;
  idsWhileDown: string[];
  close(): Promise<void>;
}

/**
 * A receiver as a team would write one: it verifies each delivery with the Standard Webhooks library.
 * `delayMs`: how long it takes over each answer.
 */
export async function startWebhookReceiver(
  secret: string,
  options: { delayMs?: number } = {},
): Promise<WebhookReceiver> {
  const verifier = new Webhook(secret);
  const receiver: WebhookReceiver = {
    url: '',
    secret,
    deliveries: [],
    refused: [],
    down: false,
    idsWhileDown: [],
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void setTimeout(answer, options.delayMs ?? 0));
    const answer = () => {
      if (receiver.down) {
        receiver.idsWhileDown.push(String(req.headers['webhook-id']));
        return void res.writeHead(503).end();
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      try {
        const body = verifier.verify(raw, headersOf(req.headers));
        receiver.deliveries.push({
          id: String(req.headers['webhook-id']),
          timestamp: String(req.headers['webhook-timestamp']),
          signature: String(req.headers['webhook-signature']),
          raw,
          body,
        });
        res.writeHead(204).end();
      } catch (error) {
        receiver.refused.push((error as Error).message);
        res.writeHead(400).end();
      }
    };
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/klaxon`;
  return receiver;
}

const headersOf = (headers: IncomingHttpHeaders): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

/** A secret as `klaxon.yaml` takes it: whsec_ and 32 random bytes in base64. */
export const webhookSecret = (): string =>
  `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
