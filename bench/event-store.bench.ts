import { openPostgresEventStore, openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { dropSchema, TEST_DATABASE_URL, tempDir, uniqueSchema } from '@klaxon/testing';
import { repeat, report } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const STREAMS = 200;
const APPENDS = 2000;
const APPENDERS = 16;
const payload = (i: number) => ({
  type: 'AlertAttached',
  data: {
    fingerprint: `f${i}`,
    status: 'firing',
    startsAt: new Date(0).toISOString(),
    receivedAt: new Date().toISOString(),
  },
});

async function appendsPerSecond(store: EventStore, batch: number): Promise<number> {
  const revisions = new Map<string, number>();
  const prefix = `incident-${Math.random().toString(36).slice(2, 8)}-`;
  const start = performance.now();
  for (let i = 0; i < APPENDS; i++) {
    const stream = `${prefix}${i % STREAMS}`;
    const expected = revisions.get(stream) ?? 'no_stream';
    const result = await store.append(
      stream,
      Array.from({ length: batch }, (_, j) => payload(i * batch + j)),
      expected,
    );
    if (!result.ok) throw new Error('unexpected conflict');
    revisions.set(stream, result.value.nextExpectedRevision);
  }
  return (APPENDS * batch) / ((performance.now() - start) / 1000);
}

/** APPENDS single-event appends from APPENDERS writers side by side, each on its own streams (alerts of many incidents). */
async function concurrentAppendsPerSecond(store: EventStore): Promise<number> {
  const prefix = `incident-${Math.random().toString(36).slice(2, 8)}-`;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: APPENDERS }, async (_, w) => {
      const revisions = new Map<string, number>();
      for (let i = w; i < APPENDS; i += APPENDERS) {
        const stream = `${prefix}${w}-${i % Math.floor(STREAMS / APPENDERS)}`;
        const result = await store.append(stream, [payload(i)], revisions.get(stream) ?? 'no_stream');
        if (!result.ok) throw new Error('unexpected conflict');
        revisions.set(stream, result.value.nextExpectedRevision);
      }
    }),
  );
  return APPENDS / ((performance.now() - start) / 1000);
}

async function readAllPerSecond(store: EventStore): Promise<number> {
  const start = performance.now();
  let after: bigint | undefined;
  let count = 0;
  for (;;) {
    const page = await store.readAll({ after, limit: 1000 });
    if (page.length === 0) break;
    count += page.length;
    after = page[page.length - 1]!.position;
  }
  return count / ((performance.now() - start) / 1000);
}

async function bench(name: string, store: EventStore): Promise<void> {
  report(`${name}: append 1 event/append (expected rev)`, await repeat(RUNS, () => appendsPerSecond(store, 1)));
  report(`${name}: append 10 events/append`, await repeat(RUNS, () => appendsPerSecond(store, 10)));
  report(
    `${name}: 1 event/append, ${APPENDERS} side by side`,
    await repeat(RUNS, () => concurrentAppendsPerSecond(store)),
  );
  report(`${name}: readAll in pages of 1000`, await repeat(RUNS, () => readAllPerSecond(store)));
}

export async function eventStoreBench(): Promise<void> {
  console.log(`event store: ${APPENDS} sequential appends over ${STREAMS} streams, ${RUNS} runs each`);
  const dir = tempDir('klaxon-bench-');
  const sqlite = openSqliteEventStore(dir.file('events.db'));
  await bench('sqlite', sqlite);
  await sqlite.close();
  dir.remove();

  const schema = uniqueSchema('klaxon_bench');
  try {
    const pg = await openPostgresEventStore({ connectionString: TEST_DATABASE_URL, schema });
    await bench('postgres', pg);
    await pg.close();
  } catch (error) {
    console.log(`postgres: skipped (${(error as Error).message})`);
  } finally {
    await dropSchema(schema).catch(() => undefined);
  }
}
