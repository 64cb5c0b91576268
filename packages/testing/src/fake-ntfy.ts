import { randomBytes } from 'node:crypto';
import { startFakeServer } from './fake-server.ts';

export interface NtfyMessage {
  topic: string;
  message: string;
  /** The publish headers, lower-case, RFC 2047 encoded words decoded as ntfy decodes them. */
  title?: string;
  priority?: string;
  tags?: string;
  click?: string;
  actions?: string;
  id: string;
}

export interface FakeNtfy {
  url: string;
  /** The URL of a topic on this server, as a person's push method names it. */
  topic(name: string): string;
  messages: NtfyMessage[];
  /** The next `count` publishes are answered with this HTTP status. */
  failNext(status: number, count?: number): void;
  close(): Promise<void>;
}

const decodeWords = (value: string | undefined) =>
  value?.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=/gi, (_, b64: string) =>
    Buffer.from(b64, 'base64').toString('utf8'),
  );

/**
 * A local HTTP server that answers like ntfy's publish API: a POST or PUT of the message body to
 * `/<topic>`, with the headers Title, Priority, Tags, Click and Actions (or their X- forms), answered
 * with the message as JSON (`id`, `time`, `event: message`, `topic`).
 */
export async function startFakeNtfy(): Promise<FakeNtfy> {
  const server = await startFakeServer<NtfyMessage>(({ req, body, reply, record, injected }) => {
    const topic = /^\/([-_A-Za-z0-9]{1,64})$/.exec(req.url ?? '')?.[1];
    if ((req.method !== 'POST' && req.method !== 'PUT') || !topic)
      return reply(404, { code: 40401, http: 404, error: 'page not found' });
    const failure = injected();
    if (failure !== undefined) return reply(failure, { code: failure * 100 + 1, http: failure, error: 'injected' });
    const h = (name: string) => decodeWords((req.headers[name] ?? req.headers[`x-${name}`]) as string | undefined);
    const id = randomBytes(6).toString('hex');
    record({
      topic,
      message: body,
      title: h('title'),
      priority: h('priority'),
      tags: h('tags'),
      click: h('click'),
      actions: h('actions'),
      id,
    });
    reply(200, { id, time: Math.floor(Date.now() / 1000), event: 'message', topic, message: body });
  });
  return {
    url: server.url,
    topic: (name) => `${server.url}/${name}`,
    messages: server.recorded,
    failNext: (status, count = 1) => server.inject(status, count),
    close: server.close,
  };
}
