import { tempDir } from '@klaxon/testing';
import { openSqliteDatabase } from '../src/index.ts';
import { readModelContract } from './contract/read-model-contract.ts';

readModelContract('SQLite', async () => {
  const dir = tempDir('klaxon-kpis-');
  const db = openSqliteDatabase(dir.file('kpis.db'));
  return { ...db, close: async () => (await db.close(), dir.remove()) };
});
