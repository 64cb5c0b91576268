import pino from 'pino';
import { openSqliteEventStore, type EventStore, type NewEvent } from '@klaxon/event-store';
import { openPostgresDatabase, openSqliteDatabase, ProjectionRunner, rebuildReadModels, type SqlDatabase } from '@klaxon/projection';
import { dropSchema, TEST_DATABASE_URL, tempDir, uniqueSchema } from '@klaxon/testing';
import { LIVE, createTables } from '../services/projection/src/read-model/schema.ts';
import { fmt, median, percentile, report } from './stats.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const LAG_SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

const iso = (ms: number) => new Date(ms).toISOString();

/** One incident's life as the escalation service writes it: 10 events. */
function incidentEvents(n: number): NewEvent[] {
  const opened = Date.parse('2026-01-01T00:00:00Z') + n * 60_000;
  const timings = { ackTimeoutMs: 300_000, escalateAfterMs: [1_800_000, 3_600_000, 7_200_000], statusUpdateEveryMs: 1_800_000 };
  return [
    { type: 'IncidentOpened', data: { incidentId: `i${n}`, number: n + 1, groupKey: `g${n}`, severity: ['P1', 'P2', 'P3', 'P4'][n % 4], service: `svc-${n % 20}`, title: 'bench', labels: { alertname: 'Bench' }, source: 'alertmanager', alertStartsAt: iso(opened - 30_000), openedAt: iso(opened), policy: 'default', timings } },
    { type: 'AlertAttached', data: { fingerprint: `f${n}`, status: 'firing', startsAt: iso(opened - 30_000), receivedAt: iso(opened) } },
    { type: 'PageRequested', data: { pageId: 'p1', level: 1, contact: `c${n % 7}`, channel: 'sms', purpose: 'escalation', at: iso(opened) } },
    { type: 'EscalationScheduled', data: { timerId: 't1', level: 2, dueAt: iso(opened + 300_000), reason: 'ack-timeout' } },
    { type: 'StatusUpdateScheduled', data: { dueAt: iso(opened + 1_800_000) } },
    { type: 'PageDelivered', data: { pageId: 'p1', providerId: `SM${n}`, at: iso(opened + 1000) } },
    { type: 'Escalated', data: { fromLevel: 1, toLevel: 2, reason: 'timeout', timerId: 't1', at: iso(opened + 300_000) } },
    { type: 'PageRequested', data: { pageId: 'p2', level: 2, contact: `c${(n + 1) % 7}`, channel: 'voice', purpose: 'escalation', at: iso(opened + 300_000) } },
    { type: 'Acknowledged', data: { by: `c${n % 7}`, via: 'sms', at: iso(opened + 400_000) } },
    { type: 'Resolved', data: { by: `c${n % 7}`, via: 'api', at: iso(opened + 3_000_000) } },
  ];
}

async function fill(store: EventStore, events: number): Promise<void> {
  const started = performance.now();
  for (let n = 0; n * 10 < events; n++) {
    const result = await store.append(`incident-i${n}`, incidentEvents(n), 'no_stream');
    if (!result.ok) throw new Error('conflict while filling');
    if (n % 10_000 === 0 && n > 0) process.stderr.write(`\r  filling the store: ${fmt(n * 10)} / ${fmt(events)} events (${fmt((n * 10) / ((performance.now() - started) / 1000))} events/s)`);
  }
  process.stderr.write('\n');
}

async function rebuildRate(store: EventStore, db: SqlDatabase): Promise<number> {
  const started = performance.now();
  const { events } = await rebuildReadModels(store, db);
  return events / ((performance.now() - started) / 1000);
}

async function lagUnderLoad(store: EventStore, db: SqlDatabase): Promise<number[]> {
  await createTables(db, LIVE, db.dialect);
  const runner = new ProjectionRunner(store, db, LIVE, pino({ level: 'silent' }), { pollMs: 200 });
  await runner.catchUp();
  runner.start();
  const lags: number[] = [];
  const perTick = RATE / 10;
  const start = performance.now();
  let n = 10_000_000;
  for (let tick = 0; tick < LAG_SECONDS * 10; tick++) {
    for (let i = 0; i < perTick / 10; i++) await store.append(`incident-i${n}`, incidentEvents(n++), 'no_stream');
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
  console.log(`projection: rebuild of ${fmt(EVENTS)} events (${fmt(EVENTS / 10)} incidents) from a SQLite event store, ${RUNS} runs`);
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
