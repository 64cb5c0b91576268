import { alertmanagerAvailable, freshDatabase, postgresAvailable, tempDir } from '@klaxon/testing';
import { describe, expect, it } from 'vitest';
import { alertToPageToKpi } from './alert-to-page-scenario.ts';
import { startService } from './klaxon-process.ts';

const available =
  alertmanagerAvailable('end-to-end on PostgreSQL, three processes') &&
  (await postgresAvailable('end-to-end on PostgreSQL, three processes'));

describe.runIf(available)(
  'end to end on the production adapters here: PostgreSQL, each service its own process',
  () => {
    it('passes the same alert → page → KPI test as the embedded default', { timeout: 90_000 }, async () => {
      const database = await freshDatabase();
      // No Kafka on this machine: ingest and escalation share the embedded log through the data dir.
      const data = tempDir('klaxon-prod-');
      await alertToPageToKpi(async (env) => {
        const shared = {
          ...env,
          DATABASE_URL: database.url,
          KLAXON_DATA_DIR: data.path,
          KLAXON_LINK_SECRET: 'production-mode-link-secret-01',
        };
        const services = (['ingest', 'escalation', 'projection'] as const).map((name) => startService(name, shared));
        return {
          async stop() {
            const codes = await Promise.all(services.map((s) => s.stop()));
            // A failed shutdown shows what the service said about it.
            services.forEach((s, i) =>
              expect(
                codes[i],
                `${['ingest', 'escalation', 'projection'][i]}:\n${s.output().split('\n').slice(-15).join('\n')}`,
              ).toBe(0),
            );
            await database.drop();
            data.remove();
          },
        };
      });
    });
  },
);
