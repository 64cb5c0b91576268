import { readFileSync } from 'node:fs';
import pino from 'pino';
import { ALERTS_TOPIC, openEmbeddedBus, type Bus, type BusConsumer, type DeliveredRecord } from '@klaxon/bus';
import { tempDir, type TempDir } from '@klaxon/testing';
import { createIngestService, type IngestService } from '../../src/index.ts';

/** A payload a real Alertmanager 0.25 sent (copied from shared/fixtures). */
export const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

export const AM_TOKEN = 'am-token-0123456789abcdef';
export const EVENTS_TOKEN = 'events-token-0123456789ab';

export interface IngestHarness {
  base: string;
  bus: Bus;
  service: IngestService;
  /** Records on the bus so far, read by a consumer of the alerts topic. */
  received(count: number): Promise<DeliveredRecord[]>;
  close(): Promise<void>;
}

export async function startIngest(options: { maxBodyBytes?: number; bus?: Bus; dir?: TempDir } = {}): Promise<IngestHarness> {
  const dir = options.dir ?? tempDir('klaxon-ingest-');
  const bus = options.bus ?? openEmbeddedBus(dir.file('bus.db'), { pollMs: 10 });
  const service = createIngestService({
    logger: pino({ level: 'silent' }),
    bus,
    integrations: { alertmanager: { token: AM_TOKEN }, monitoring: { token: EVENTS_TOKEN } },
    maxBodyBytes: options.maxBodyBytes,
    retryAfterSeconds: 7,
  });
  const base = await service.http.listen(0, '127.0.0.1');
  const seen: DeliveredRecord[] = [];
  let consumer: BusConsumer | undefined;
  return {
    base,
    bus,
    service,
    async received(count) {
      consumer ??= await bus.consume({ topic: ALERTS_TOPIC, group: 'test', handle: async (r) => void seen.push(r) });
      const deadline = Date.now() + 15_000;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${seen.length} of ${count} records reached the bus`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return seen.slice(0, count);
    },
    async close() {
      await consumer?.stop();
      await service.stop();
      await bus.close().catch(() => undefined);
      if (!options.dir) dir.remove();
    },
  };
}

export const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
