import pino from 'pino';
import { parseConfig } from '@klaxon/config';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { tempDir, VirtualClock, type TempDir } from '@klaxon/testing';
import { createProjectionService, type ProjectionService, type SqlDatabase } from '../../src/index.ts';
import { AS_OF } from './kpi-scenario.ts';

/** Answers read by tests: arbitrary JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const API_TOKEN = 'kpi-api-token-0123456789';

export const projectionConfig = () =>
  parseConfig(
    `
severities:
  P1: { ackTimeout: 5m, escalateAfter: [30m, 1h, 2h], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 15m, escalateAfter: [2h, 4h, 8h], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [8h, 24h, 72h], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { ackTimeout: 4h, escalateAfter: [24h, 72h, 7d], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
contacts:
  alice: { phone: "+15550100001", timezone: Europe/Berlin }
  bob: { email: bob@example.com, timezone: America/New_York }
  tom: { phone: "+15550100003", timezone: UTC }
policies:
  default: { levels: { L1: { targets: [contact:alice], channels: [sms] } } }
routes: [{ match: {}, policy: default }]
api: { tokens: ["${API_TOKEN}"] }
`,
    'projection-test.yaml',
    {},
  );

export interface ProjectionHarness {
  store: EventStore;
  db: SqlDatabase;
  service: ProjectionService;
  base: string;
  dir: TempDir;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startProjection(openDb: () => Promise<SqlDatabase>): Promise<ProjectionHarness> {
  const dir = tempDir('klaxon-projection-');
  const store = openSqliteEventStore(dir.file('events.db'), { pollMs: 10 });
  const db = await openDb();
  const service = await createProjectionService({ logger: pino({ level: 'silent' }), store, db, config: projectionConfig(), clock: new VirtualClock(AS_OF), pollMs: 20 });
  const base = await service.http.listen(0, '127.0.0.1');
  return {
    store,
    db,
    service,
    base,
    dir,
    get: (path, headers = {}) => fetch(`${base}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}`, ...headers } }),
    async close() {
      await service.stop();
      await db.close();
      await store.close();
      dir.remove();
    },
  };
}
