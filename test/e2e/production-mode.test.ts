import pg from 'pg';
import { alertmanagerAvailable, postgresAvailable, TEST_DATABASE_URL, tempDir } from '@klaxon/testing';
import { describe, expect, it } from 'vitest';
import { alertToPageToKpi } from './alert-to-page-scenario.ts';
import { startService } from './klaxon-process.ts';

const available = alertmanagerAvailable('end-to-end on PostgreSQL, three processes') && (await postgresAvailable('end-to-end on PostgreSQL, three processes'));

/** A database of its own, so the production schemas (`klaxon`, `klaxon_kpi`) start empty. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `klaxon_e2e_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

describe.runIf(available)('end to end on the production adapters here: PostgreSQL, each service its own process', () => {
  it('passes the same alert → page → KPI test as the embedded default', { timeout: 90_000 }, async () => {
    const database = await freshDatabase();
    // No Kafka on this machine: ingest and escalation share the embedded log through the data dir.
    const data = tempDir('klaxon-prod-');
    await alertToPageToKpi(async (env) => {
      const shared = { ...env, DATABASE_URL: database.url, KLAXON_DATA_DIR: data.path };
      const services = (['ingest', 'escalation', 'projection'] as const).map((name) => startService(name, shared));
      return {
        async stop() {
          const codes = await Promise.all(services.map((s) => s.stop()));
          // A failed shutdown shows what the service said about it.
          services.forEach((s, i) => expect(codes[i], `${['ingest', 'escalation', 'projection'][i]}:\n${s.output().split('\n').slice(-15).join('\n')}`).toBe(0));
          await database.drop();
          data.remove();
        },
      };
    });
  });
});
