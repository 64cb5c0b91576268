import { tempDir } from '@klaxon/testing';
import { openSqliteEventStore } from '../src/index.ts';
import { eventStoreContract } from './contract/event-store-contract.ts';

eventStoreContract('SQLite (embedded)', async () => {
  const dir = tempDir('klaxon-es-');
  const open = () => openSqliteEventStore(dir.file('events.db'), { pollMs: 20 });
  let store = open();
  return {
    store,
    async reopen() {
      await store.close();
      store = open();
      return store;
    },
    async dispose() {
      await store.close();
      dir.remove();
    },
  };
});
