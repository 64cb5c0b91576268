import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqliteEventStore } from '@klaxon/event-store';
import { freePort, syntheticIncident, tempDir } from '@klaxon/testing';
import { fmt, median } from './stats.ts';

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 4);
const root = fileURLToPath(new URL('..', import.meta.url));

/** Resident memory of a process, from /proc (Linux). */
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/**
 * `pnpm bench restart`: escalation started on an embedded store holding BENCH_INCIDENTS incidents (eleven
 * events each, as the service writes them: paged, escalated, acknowledged, resolved, every page delivered): time until `/ready` (state rebuilt, consuming), replay rate,
 * and resident memory once ready.
 */
export async function restartBench(): Promise<void> {
  const events = INCIDENTS * syntheticIncident(0).length;
  console.log(
    `restart: escalation on an embedded store of ${fmt(INCIDENTS)} incidents (${fmt(events)} events), ${RUNS} starts`,
  );
  const dir = tempDir('klaxon-bench-restart-');
  const store = openSqliteEventStore(dir.file('events.db'));
  const filling = performance.now();
  for (let n = 0; n < INCIDENTS; n++) {
    const result = await store.append(`incident-i${n}`, syntheticIncident(n), 'no_stream');
    if (!result.ok) throw new Error('unexpected conflict');
    if (n % 10_000 === 0 && n > 0)
      process.stderr.write(`\r  filling the store: ${fmt(n * 10)} / ${fmt(events)} events`);
  }
  await store.close();
  process.stderr.write(`\r  filled ${fmt(events)} events in ${((performance.now() - filling) / 1000).toFixed(1)} s\n`);

  // The first start has no snapshot and replays the whole store; the SIGTERM that ends each start writes
  // the index snapshot the next start takes up.
  const results: Array<{ readyMs: number; rss: number }> = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const port = await freePort();
      const started = performance.now();
      const child = spawn(process.execPath, ['--import', 'tsx', 'services/escalation/src/main.ts'], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          KLAXON_DATA_DIR: dir.path,
          ESCALATION_PORT: String(port),
          KLAXON_HOST: '127.0.0.1',
          LOG_LEVEL: 'error',
        },
      });
      try {
        for (;;) {
          const ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
            (r) => r.ok,
            () => false,
          );
          if (ready) break;
          if (performance.now() - started > 300_000) throw new Error('escalation not ready within 300 s');
          await new Promise((r) => setTimeout(r, 50));
        }
        results.push({ readyMs: performance.now() - started, rss: rssMb(child.pid!) });
      } finally {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  } finally {
    dir.remove();
  }
  const [replay, ...restarts] = results;
  if (!replay) return;
  console.log(
    `${'first start, whole store replayed: to /ready'.padEnd(52)} ${(replay.readyMs / 1000).toFixed(2)} s, ${replay.rss.toFixed(0)} MB resident (${fmt(events / (replay.readyMs / 1000))} events/s, node start included)`,
  );
  if (restarts.length === 0) return;
  const ready = median(restarts.map((r) => r.readyMs));
  console.log(
    `${'restart from the snapshot: process start to /ready'.padEnd(52)} median ${(ready / 1000).toFixed(2)} s   (runs: ${restarts.map((r) => (r.readyMs / 1000).toFixed(2)).join(', ')})`,
  );
  console.log(
    `${'restart from the snapshot: resident memory once ready'.padEnd(52)} median ${median(restarts.map((r) => r.rss)).toFixed(0)} MB   (runs: ${restarts.map((r) => r.rss.toFixed(0)).join(', ')})`,
  );
}
