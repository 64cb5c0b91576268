import { readFileSync } from 'node:fs';
import pino from 'pino';
import { ALERTS_TOPIC, openEmbeddedBus, type Bus, type BusConsumer, type DeliveredRecord } from '@klaxon/bus';
import { alertRecordSchema, alertsIn, type AlertReceived } from '@klaxon/domain';
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
  /** The alerts those records carry, in order, as escalation reads them. */
  alerts(count: number): Promise<AlertReceived[]>;
  /** Every record read so far. */
  readSoFar(): DeliveredRecord[];
  close(): Promise<void>;
}

export async function startIngest(
  options: { maxBodyBytes?: number; bus?: Bus; dir?: TempDir } = {},
): Promise<IngestHarness> {
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
  const waitFor = async <T>(what: string, count: number, read: () => T[]): Promise<T[]> => {
    consumer ??= await bus.consume({ topic: ALERTS_TOPIC, group: 'test', handle: async (r) => void seen.push(r) });
    const deadline = Date.now() + 15_000;
    for (let got = read(); ; got = read()) {
      if (got.length >= count) return got.slice(0, count);
      if (Date.now() > deadline) throw new Error(`only ${got.length} of ${count} ${what} reached the bus`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return {
    base,
    bus,
    service,
    received: (count) => waitFor('records', count, () => seen),
    alerts: (count) => waitFor('alerts', count, () => seen.flatMap((r) => alertsIn(alertRecordSchema.parse(r.value)))),
    readSoFar: () => [...seen],
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
