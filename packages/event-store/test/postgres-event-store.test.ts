import { describe, expect, it } from 'vitest';
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

describe.runIf(available)('PostgreSQL start-up', () => {
  it('several services opening the store at once on an empty database all start (no DDL race)', async () => {
    for (let round = 0; round < 3; round++) {
      const schema = uniqueSchema('klaxon_race');
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema })),
      );
      expect(stores).toHaveLength(6);
      await Promise.all(stores.map((s) => s.close()));
      await dropSchema(schema);
    }
  });
});
