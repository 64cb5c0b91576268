import { describe } from 'vitest';
import { openPostgresEventStore } from '../src/index.ts';
import { eventStoreContract } from './contract/event-store-contract.ts';
import { dropSchema, postgresAvailable, TEST_DATABASE_URL, uniqueSchema } from '@klaxon/testing';

const available = await postgresAvailable('PostgreSQL event-store contract suite');

describe.runIf(available)('PostgreSQL', () => {
  eventStoreContract('PostgreSQL', async () => {
    const schema = uniqueSchema('klaxon_es');
    const open = () => openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema, pollMs: 50 });
    let store = await open();
    return {
      store,
      async reopen() {
        await store.close();
        store = await open();
        return store;
      },
      async dispose() {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
});
