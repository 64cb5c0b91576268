import { createServer, type IncomingMessage } from 'node:http';

/** One request to a fake provider, with what the handler may do about it. */
export interface Exchange<T, I> {
  req: IncomingMessage;
  body: string;
  reply(status: number, json: object, headers?: Record<string, string>): void;
  /** Keeps what the provider took, for the test to read. */
  record(item: T): void;
  /** The next answer a test queued in place of a good one, if any. */
  injected(): I | undefined;
}

export interface FakeServer<T, I> {
  url: string;
  /** What the handler recorded, in arrival order. */
  recorded: T[];
  /** The next `count` requests that reach the point of asking get `injection` in place of a good answer. */
  inject(injection: I, count?: number): void;
  /** The next `count` requests get no answer at all (an outage that hangs rather than refuses). */
  hangNext(count?: number): void;
  close(): Promise<void>;
}

/**
 * The piece every fake provider shares: a local HTTP server that reads each body, records what the provider
 * took, answers JSON, queues injected failures and hangs, and closes even with a hung request open.
 * The handler is the provider's shape: its paths, its credentials, its answers.
 */
export async function startFakeServer<T, I = number>(
  handle: (exchange: Exchange<T, I>) => void,
): Promise<FakeServer<T, I>> {
  const recorded: T[] = [];
  const injections: I[] = [];
  let hanging = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (hanging > 0) {
        hanging--;
        return;
      }
      handle({
        req,
        body,
        reply: (status, json, headers = {}) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(json));
        },
        record: (item) => void recorded.push(item),
        injected: () => injections.shift(),
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    recorded,
    inject: (injection, count = 1) => injections.push(...Array.from({ length: count }, () => injection)),
    hangNext: (count = 1) => void (hanging += count),
    close: () =>
      new Promise((resolve) => {
        // A hung request would hold the server open for good.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
