import pg from 'pg';
import type { Row, SqlDatabase, SqlTx, SqlValue } from './sql-database.ts';

const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

const normalise = (row: Record<string, unknown>): Row =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : (v as SqlValue)]));

const ignoreError = () => undefined;

export async function openPostgresDatabase(connectionString: string, schema = 'klaxon_kpi'): Promise<SqlDatabase> {
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  // Analysts and Klaxon alike see the read models by their plain names inside this schema.
  const pool = new pg.Pool({ connectionString, max: 4, options: `-c search_path=${quoted}` });
  pool.on('error', () => undefined);
  // Concurrent `IF NOT EXISTS` DDL can fail on pg_class; starters take turns (see migrate).
  const ddl = await pool.connect();
  try {
    await ddl.query('BEGIN');
    await ddl.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`klaxon-ddl:${schema}`]);
    await ddl.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
    await ddl.query('COMMIT');
  } catch (error) {
    await ddl.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    ddl.release();
  }
  const on = (client: pg.Pool | pg.PoolClient): SqlTx => ({
    async run(sql, params = []) {
      await client.query(numbered(sql), params);
    },
    async all(sql, params = []) {
      const result = await client.query(numbered(sql), params);
      return result.rows.map(normalise);
    },
  });
  return {
    dialect: 'postgres',
    ...on(pool),
    async transaction(work) {
      const client = await pool.connect();
      // A connection cut between two queries is reported as an event on the checked-out client, which would
      // end the process unheard; the next query fails with it anyway.
      client.on('error', ignoreError);
      try {
        await client.query('BEGIN');
        const result = await work(on(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.off('error', ignoreError);
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
