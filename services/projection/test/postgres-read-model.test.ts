import { describe, expect, it } from 'vitest';
import { dropSchema, postgresAvailable, TEST_DATABASE_URL, uniqueSchema } from '@klaxon/testing';
import { openPostgresDatabase } from '../src/index.ts';
import { migrate } from '../src/read-model/migrations.ts';
import { LIVE } from '../src/read-model/schema.ts';
import { readModelContract } from './contract/read-model-contract.ts';

const available = await postgresAvailable('PostgreSQL read-model suite');

describe.runIf(available)('PostgreSQL', () => {
  readModelContract('PostgreSQL', async () => {
    const schema = uniqueSchema('klaxon_kpi');
    const db = await openPostgresDatabase(TEST_DATABASE_URL, schema);
    return { ...db, close: async () => (await db.close(), await dropSchema(schema)) };
  });
});

describe.runIf(available)('PostgreSQL read models at start-up', () => {
  it('several projections creating the read models at once on an empty database all start (no DDL race)', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = uniqueSchema('klaxon_kpi_race');
      const dbs = await Promise.all(Array.from({ length: 4 }, () => openPostgresDatabase(TEST_DATABASE_URL, schema)));
      await Promise.all(dbs.map((db) => migrate(db)));
      expect(await dbs[0]!.all(`SELECT count(*)::int AS n FROM ${LIVE.incidents}`)).toEqual([{ n: 0 }]);
      await Promise.all(dbs.map((db) => db.close()));
      await dropSchema(schema);
    }
  });
});
