import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openPostgresDatabase } from './postgres-database.ts';
import type { SqlDatabase } from './sql-database.ts';
import { openSqliteDatabase } from './sqlite-database.ts';

/** `DATABASE_URL` means PostgreSQL (schema `klaxon_kpi`, for analysts' SQL); unset means `kpis.db` in the data dir. */
export async function openReadModelFromEnv(env: {
  KLAXON_DATA_DIR: string;
  DATABASE_URL?: string;
}): Promise<SqlDatabase> {
  if (env.DATABASE_URL) return openPostgresDatabase(env.DATABASE_URL);
  mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
  return openSqliteDatabase(join(env.KLAXON_DATA_DIR, 'kpis.db'));
}
