import pino from 'pino';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import {
  openPostgresDatabase,
  openSqliteDatabase,
  ProjectionRunner,
  rebuildReadModels,
  type SqlDatabase,
} from '@klaxon/projection';
import { dropSchema, syntheticIncident, TEST_DATABASE_URL, tempDir, uniqueSchema } from '@klaxon/testing';
import { LIVE, createTables } from '../services/projection/src/read-model/schema.ts';
import { fmt, median, percentile, report } from './stats.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const LAG_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

async function fill(store: EventStore, events: number): Promise<void> {
  const started = performance.now();
  for (let n = 0; n * 10 < events; n++) {
    const result = await store.append(`incident-i${n}`, syntheticIncident(n), 'no_stream');
    if (!result.ok) throw new Error('conflict while filling');
    if (n % 10_000 === 0 && n > 0)
      process.stderr.write(
        `\r  filling the store: ${fmt(n * 10)} / ${fmt(events)} events (${fmt((n * 10) / ((performance.now() - started) / 1000))} events/s)`,
      );
  }
  process.stderr.write('\n');
}

async function rebuildRate(store: EventStore, db: SqlDatabase): Promise<number> {
  const started = performance.now();
  const { events } = await rebuildReadModels(store, db);
  return events / ((performance.now() - started) / 1000);
}

async function lagUnderLoad(store: EventStore, db: SqlDatabase): Promise<number[]> {
  await db.transaction((tx) => createTables(tx, LIVE, db.dialect));
  const runner = new ProjectionRunner(store, db, LIVE, pino({ level: 'silent' }), { pollMs: 200 });
  await runner.catchUp();
  runner.start();
  const lags: number[] = [];
  const perTick = RATE / 10;
  const start = performance.now();
  let n = 10_000_000;
  for (let tick = 0; tick < LAG_SECONDS * 10; tick++) {
    for (let i = 0; i < perTick / 10; i++) await store.append(`incident-i${n}`, syntheticIncident(n++), 'no_stream');
    const checkpoint = await runner.checkpoint();
    const [oldest] = await store.readAll({ after: checkpoint, limit: 1 });
    lags.push(oldest ? Date.now() - Date.parse(oldest.recordedAt) : 0);
    const wait = start + (tick + 1) * 100 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await runner.stop();
  return lags;
}

export async function projectionBench(): Promise<void> {
  const dir = tempDir('klaxon-bench-projection-');
  const store = openSqliteEventStore(dir.file('events.db'));
  console.log(
    `projection: rebuild of ${fmt(EVENTS)} events (${fmt(EVENTS / 10)} incidents) from a SQLite event store, ${RUNS} runs`,
  );
  await fill(store, EVENTS);
  const sqlite = openSqliteDatabase(dir.file('kpis.db'));
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) rates.push(await rebuildRate(store, sqlite));
  report('projection: rebuild into SQLite', rates);
  const schema = uniqueSchema('klaxon_bench_kpi');
  try {
    const pg = await openPostgresDatabase(TEST_DATABASE_URL, schema);
    const pgRates: number[] = [];
    for (let i = 0; i < RUNS; i++) pgRates.push(await rebuildRate(store, pg));
    report('projection: rebuild into PostgreSQL', pgRates);
    await pg.close();
  } catch (error) {
    console.log(`projection: PostgreSQL skipped (${(error as Error).message})`);
  } finally {
    await dropSchema(schema).catch(() => undefined);
  }
  const lags = await lagUnderLoad(store, sqlite);
  console.log(
    `${`projection: lag at a steady ${fmt(RATE)} events/s`.padEnd(48)} median ${median(lags).toFixed(0)} ms, p99 ${percentile(lags, 99).toFixed(0)} ms, max ${Math.max(...lags).toFixed(0)} ms   (${lags.length} samples over ${LAG_SECONDS} s)`,
  );
  await sqlite.close();
  await store.close();
  dir.remove();
}
