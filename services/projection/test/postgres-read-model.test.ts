import { describe } from 'vitest';
import { dropSchema, postgresAvailable, TEST_DATABASE_URL, uniqueSchema } from '@klaxon/testing';
import { openPostgresDatabase } from '../src/index.ts';
import { readModelContract } from './contract/read-model-contract.ts';

const available = await postgresAvailable('PostgreSQL read-model suite');

describe.runIf(available)('PostgreSQL', () => {
  readModelContract('PostgreSQL', async () => {
    const schema = uniqueSchema('klaxon_kpi');
    const db = await openPostgresDatabase(TEST_DATABASE_URL, schema);
    return { ...db, close: async () => (await db.close(), await dropSchema(schema)) };
  });
});
