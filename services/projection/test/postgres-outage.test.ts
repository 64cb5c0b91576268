import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openSqliteEventStore } from '@klaxon/event-store';
import { cutOffDatabase, freshDatabase, postgresAvailable, tempDir } from '@klaxon/testing';
import { createProjectionService, openPostgresDatabase } from '../src/index.ts';
import { appendScenario } from './support/kpi-scenario.ts';
import { API_TOKEN, projectionConfig, type Json } from './support/projection-harness.ts';

const available = await postgresAvailable('PostgreSQL read-model outage suite');

const until = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> => {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.runIf(available)('the PostgreSQL read model unreachable, then back', () => {
  it('is waited out, not quarantined: /ready says the projection stalled while events wait, and it resumes by itself', async () => {
    const database = await freshDatabase();
    const dir = tempDir('klaxon-projection-outage-');
    const store = openSqliteEventStore(dir.file('events.db'), { pollMs: 10 });
    const db = await openPostgresDatabase(database.url);
    const service = await createProjectionService({
      logger: pino({ level: 'silent' }),
      store,
      db,
      config: projectionConfig(),
      pollMs: 20,
      retryMs: 100,
      stallAfterMs: 1000,
    });
    const base = await service.http.listen(0, '127.0.0.1');
    const kpis = async () =>
      (await (
        await fetch(`${base}/api/v1/kpis`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
      ).json()) as Json;
    const ready = async () => {
      const response = await fetch(`${base}/ready`);
      return { status: response.status, body: (await response.json()) as Json };
    };
    try {
      await service.start();
      await appendScenario(store);
      await until('the scenario projected', async () => ((await kpis()).incidents.total === 4 ? true : undefined));
      expect((await ready()).status).toBe(200);

      const outage = await cutOffDatabase(database.url);
      try {
        const [template] = await store.readStream('incident-a');
        await store.append(
          'incident-e',
          [{ type: 'IncidentOpened', data: { ...(template!.data as object), incidentId: 'e', number: 5 } }],
          'no_stream',
        );
        const stalled = await until('/ready to report the stall', async () => {
          const { status, body } = await ready();
          return status === 503 && body.checks['projection progress']?.ok === false ? body : undefined;
        });
        expect(stalled.checks['projection progress'].error).toMatch(/has not advanced for \d+ s while events wait/);
      } finally {
        await outage.restore();
      }

      await until('the projection to resume', async () => ((await ready()).status === 200 ? true : undefined));
      expect((await kpis()).incidents.total).toBe(5);
      expect(await db.all('SELECT * FROM projection_quarantine')).toEqual([]);
      expect(await service.runner.checkpoint()).toBe(await store.headPosition());
    } finally {
      await service.stop();
      await db.close();
      await store.close();
      dir.remove();
      await database.drop();
    }
  }, 120_000);
});
