import pg from 'pg';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/**
 * Whether the PostgreSQL suites can run. Locally they skip with one line when no server answers;
 * under CI=true a missing server is a failure, never a silent skip.
 */
export async function postgresAvailable(suite: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const reason = `no PostgreSQL at ${TEST_DATABASE_URL} (${(error as Error).message})`;
    if (process.env.CI) throw new Error(`CI=true, so ${suite} must run, but there is ${reason}`);
    console.warn(`SKIPPED ${suite}: ${reason}`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const uniqueSchema = (prefix: string) => `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema.replace(/"/g, '""')}" CASCADE`);
  await client.end();
}

/** A database of its own, so the production schemas (`klaxon`, `klaxon_kpi`) start empty. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
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
