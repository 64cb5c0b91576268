import pg from 'pg';
import { TEST_DATABASE_URL } from './postgres.ts';

/**
 * Makes one database of a test's own unreachable, as a PostgreSQL outage looks to its clients: new
 * connections are refused and the open ones are cut. Other databases on the shared server are untouched.
 * `restore` lets connections in again.
 */
export async function cutOffDatabase(url: string): Promise<{ restore(): Promise<void> }> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name.startsWith('klaxon_e2e_'))
    throw new Error(`refusing to cut off ${name}: not a database of freshDatabase()`);
  const admin = async (sql: string, params: string[] = []) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql, params);
    } finally {
      await client.end();
    }
  };
  const quoted = `"${name.replace(/"/g, '""')}"`;
  await admin(`ALTER DATABASE ${quoted} ALLOW_CONNECTIONS false`);
  await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
    name,
  ]);
  return { restore: () => admin(`ALTER DATABASE ${quoted} ALLOW_CONNECTIONS true`) };
}
