import pino from 'pino';
import { parseConfig } from '@klaxon/config';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { RUNBOOK_SEVERITIES_YAML, tempDir, VirtualClock, type TempDir } from '@klaxon/testing';
import { createProjectionService, type ProjectionService, type SqlDatabase } from '../../src/index.ts';
import { AS_OF } from './kpi-scenario.ts';

/** Answers read by tests: arbitrary JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const API_TOKEN = 'kpi-api-token-0123456789';

export const projectionConfig = () =>
  parseConfig(
    `${RUNBOOK_SEVERITIES_YAML}contacts:
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
  const service = await createProjectionService({
    logger: pino({ level: 'silent' }),
    store,
    db,
    config: projectionConfig(),
    clock: new VirtualClock(AS_OF),
    pollMs: 20,
  });
  const base = await service.http.listen(0, '127.0.0.1');
  return {
    store,
    db,
    service,
    base,
    dir,
    get: (path, headers = {}) =>
      fetch(`${base}${path}`, { headers: { authorization: `Bearer ${API_TOKEN}`, ...headers } }),
    async close() {
      await service.stop();
      await db.close();
      await store.close();
      dir.remove();
    },
  };
}
