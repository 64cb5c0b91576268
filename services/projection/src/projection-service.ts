import { Counter, Gauge } from 'prom-client';
import { fileReload, type FileReload, type KlaxonConfig } from '@klaxon/config';
import { SEVERITIES, type Severity } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import { authenticator, PersonalTokens, Sessions } from '@klaxon/people';
import { createServiceHttp, systemClock, type Clock, type Logger, type ServiceHttp } from '@klaxon/service-kit';
import { kpiRoutes } from './http/kpi-routes.ts';
import { reloadRoute } from './http/reload-route.ts';
import type { SlaTargets } from './kpis/kpi-calculator.ts';
import { ProjectionRunner } from './projection-runner.ts';
import { migrate } from './read-model/migrations.ts';
import { LIVE, readCheckpoint } from './read-model/schema.ts';
import type { SqlDatabase } from './read-model/sql-database.ts';

/** Long enough that a busy moment or a short database restart does not turn /ready false on its own. */
export const DEFAULT_STALL_AFTER_MS = 60_000;

export interface ProjectionDeps {
  logger: Logger;
  store: EventStore;
  db: SqlDatabase;
  config: KlaxonConfig;
  clock?: Clock;
  pollMs?: number;
  /** /ready turns false when the projection has not advanced for this long while events wait. */
  stallAfterMs?: number;
  /** First pause after a failed step; doubles up to 30 s. */
  retryMs?: number;
  /**
   * The file `config` came from, read again on `POST /-/reload` and `reload()` (SIGHUP): the API tokens,
   * people's roles, time zones and SLA targets follow it. Without it, reloads are refused.
   */
  configFile?: string;
}

export interface ProjectionService {
  http: ServiceHttp;
  runner: ProjectionRunner;
  /** Reads the configuration file again (SIGHUP); logged, and refused when started without `configFile`. */
  reload: FileReload;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Seconds between the newest event in the store and the newest one applied, for /ready and /metrics. */
async function lagSeconds(store: EventStore, db: SqlDatabase, now: Date): Promise<number> {
  const checkpoint = await readCheckpoint(db, LIVE);
  const [next] = await store.readAll({ after: checkpoint, limit: 1 });
  return next ? Math.max(0, (now.getTime() - Date.parse(next.recordedAt)) / 1000) : 0;
}

export async function createProjectionService(deps: ProjectionDeps): Promise<ProjectionService> {
  const { logger, store, db, config } = deps;
  const clock = deps.clock ?? systemClock;
  const stallAfterMs = deps.stallAfterMs ?? DEFAULT_STALL_AFTER_MS;
  const migrated = await migrate(db);
  if (migrated.length > 0) logger.info({ versions: migrated }, 'read-model schema migrated');
  const http = createServiceHttp({
    service: 'projection',
    logger,
    readiness: [
      { name: `event-store (${store.kind})`, check: () => store.ping() },
      {
        name: `read-model (${db.dialect})`,
        check: async () => ({ lagSeconds: await lagSeconds(store, db, new Date()) }),
      },
      {
        name: 'projection progress',
        async check() {
          const stalled = await runner.stalled(stallAfterMs);
          if (stalled) throw new Error(stalled);
          return { stallAfterSeconds: stallAfterMs / 1000 };
        },
      },
    ],
  });
  const applied = new Counter({
    name: 'klaxon_projection_events_applied_total',
    help: 'Incident events applied to the read models.',
    registers: [http.metrics],
  });
  new Gauge({
    name: 'klaxon_projection_lag_seconds',
    help: 'Age of the oldest event not yet applied to the read models (0 when caught up).',
    registers: [http.metrics],
    async collect() {
      this.set(await lagSeconds(store, db, new Date()));
    },
  });
  const quarantined = new Counter({
    name: 'klaxon_projection_events_quarantined_total',
    help: 'Events the read models could not take, set aside in projection_quarantine.',
    registers: [http.metrics],
  });
  const runner = new ProjectionRunner(store, db, LIVE, logger, {
    pollMs: deps.pollMs,
    retryMs: deps.retryMs,
    onApplied: (n) => applied.inc(n),
    onQuarantined: () => quarantined.inc(),
  });
  // Read from the running configuration at each request: a reload changes it in place.
  const targets = () =>
    Object.fromEntries(
      SEVERITIES.map((s) => [
        s,
        {
          responseTargetMs: config.severities[s].responseTarget,
          resolutionTargetMs: config.severities[s].resolutionTarget,
        },
      ]),
    ) as Record<Severity, SlaTargets>;
  const timezones = () => Object.fromEntries(Object.entries(config.contacts).map(([name, c]) => [name, c.timezone]));
  // Personal tokens and console sessions are read from the same store escalation writes them to: one check,
  // no copy. A session reaches here through escalation's KPI proxy (the console's KPI page); reads only.
  const personalTokens = new PersonalTokens(store, clock, logger);
  const auth = authenticator(config, personalTokens, { sessions: new Sessions(store, clock) });
  kpiRoutes(http.routes, { db, targets, timezones, auth, clock });
  // The authenticator's tokens and roles and the KPI routes' zones and targets read the configuration at
  // each request: the reload puts the file into it in place.
  const reload = fileReload({ config, file: deps.configFile, logger });
  reloadRoute(http.routes, auth, reload);

  return {
    http,
    runner,
    reload,
    async start() {
      await personalTokens.start();
      runner.start();
    },
    async stop() {
      await http.close();
      await runner.stop();
      await personalTokens.stop();
    },
  };
}
