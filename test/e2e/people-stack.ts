import { writeFileSync } from 'node:fs';
import pino from 'pino';
import { ALERTS_TOPIC, openEmbeddedBus, type Bus } from '@klaxon/bus';
import { parseConfig } from '@klaxon/config';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { createEscalationService, notifiersFromEnv, type EscalationService } from '@klaxon/escalation';
import { createProjectionService, openSqliteDatabase, type ProjectionService } from '@klaxon/projection';
import { readEnv } from '@klaxon/service-kit';
import { RUNBOOK_SEVERITIES_YAML, tempDir, VirtualClock, type TempDir } from '@klaxon/testing';

export const ADMIN_SERVICE_TOKEN = 'admin-service-token-0123456789';

/** One person per role, and a service token named `api` with every right (a bare string, as of old). */
const configYaml = (extra = '') => `${RUNBOOK_SEVERITIES_YAML}contacts:
  vic: { email: vic@example.com, role: viewer }
  rita: { email: rita@example.com }
  ada: { email: ada@example.com, role: admin }
policies:
  default: { levels: { L1: { targets: [contact:rita], channels: [email] } } }
routes: [{ match: {}, policy: default }]
api: { tokens: ["${ADMIN_SERVICE_TOKEN}"] }
${extra}`;
const config = (extra = '') => parseConfig(configYaml(extra), 'people-test.yaml', {});

/** Escalation (with its KPI proxy) and projection in one process on one SQLite store, on a virtual clock. */
export interface PeopleStack {
  clock: VirtualClock;
  store: EventStore;
  escalation: EscalationService;
  projection: ProjectionService;
  escalationUrl: string;
  projectionUrl: string;
  /** Escalation's configuration file (read again by `POST /-/reload`), when started with `configFile`. */
  configFile?: string;
  /** Opens an incident as ingest would, and waits until escalation holds it. */
  openIncident(): Promise<string>;
  close(): Promise<void>;
}

export interface PeopleStackOptions {
  /** More top-level YAML for escalation's configuration (an `auth:` block). */
  escalationYaml?: string;
  /** The port escalation listens on, and so its public URL; any free one by default. */
  port?: number;
  /** Where the virtual clock starts (default 2026-12-01T10:00:00Z). */
  start?: string;
  /** Escalation reads its configuration from a file, so it can be reloaded. */
  configFile?: boolean;
}

export async function startPeopleStack(options: PeopleStackOptions = {}): Promise<PeopleStack> {
  const dir: TempDir = tempDir('klaxon-people-');
  const clock = new VirtualClock(options.start ?? '2026-12-01T10:00:00Z');
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const store = openSqliteEventStore(dir.file('events.db'), { pollMs: 10 });
  const bus: Bus = openEmbeddedBus(dir.file('bus.db'), { pollMs: 10, retryDelayMs: 10 });
  const projection = await createProjectionService({
    logger,
    store,
    db: openSqliteDatabase(dir.file('kpis.db')),
    config: config(),
    clock,
    pollMs: 10,
  });
  await projection.start();
  const configFile = options.configFile ? dir.file('klaxon.yaml') : undefined;
  if (configFile) writeFileSync(configFile, configYaml(options.escalationYaml));
  const publicUrl = options.port ? `http://127.0.0.1:${options.port}` : 'http://localhost';
  const projectionUrl = await projection.http.listen(0, '127.0.0.1');
  const escalation = await createEscalationService({
    logger,
    store,
    bus,
    config: config(options.escalationYaml),
    // No provider is configured: the pages of the one incident fail, which nothing here looks at.
    notifiers: notifiersFromEnv(readEnv({ KLAXON_DATA_DIR: dir.path }), publicUrl, config().providers, logger),
    publicUrl,
    linkSecret: 'people-test-link-secret-0123456789',
    clock,
    runTimerLoop: false,
    projectionUrl,
    configFile,
  });
  await escalation.start();
  const escalationUrl = await escalation.http.listen(options.port ?? 0, '127.0.0.1');
  return {
    clock,
    store,
    escalation,
    projection,
    escalationUrl,
    projectionUrl,
    configFile,
    async openIncident() {
      const at = clock.now().toISOString();
      await bus.publish(ALERTS_TOPIC, [
        {
          key: 'g1',
          value: {
            type: 'AlertReceived',
            version: 1,
            source: 'alertmanager',
            integration: 'alertmanager',
            fingerprint: 'fp-1',
            groupKey: 'g1',
            status: 'firing',
            labels: { alertname: 'OrdersDown', severity: 'critical' },
            annotations: { summary: 'OrdersDown is firing' },
            startsAt: at,
            receivedAt: at,
          },
        },
      ]);
      const deadline = Date.now() + 10_000;
      while (escalation.index.size() === 0) {
        if (Date.now() > deadline) throw new Error('escalation did not open the incident');
        await new Promise((r) => setTimeout(r, 5));
      }
      return escalation.index.acting()[0]!.state.incidentId;
    },
    async close() {
      await escalation.stop();
      await projection.stop();
      await bus.close();
      await store.close();
      dir.remove();
    },
  };
}
