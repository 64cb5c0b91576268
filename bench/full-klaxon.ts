import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@klaxon/testing';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Polls until `check` holds; a check that throws (not listening yet) counts as not yet. */
export async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Alerts escalation has handled so far, every result together, from its metrics at `port`. */
export async function alertsProcessed(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return [...text.matchAll(/^klaxon_alerts_processed_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

export interface FullKlaxon {
  ingest: number;
  escalation: number;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The full `pnpm start` (ingest, escalation and projection in one process, embedded stores) on free loopback
 * ports, once ingest and escalation answer /ready. `env` adds to the bench's own environment (data dir,
 * providers, configuration).
 */
export async function startFullKlaxon(
  env: Record<string, string>,
  stderr: 'inherit' | 'ignore' = 'inherit',
): Promise<FullKlaxon> {
  const [ingest, escalation, projection] = [await freePort(), await freePort(), await freePort()];
  // BENCH_PROF=<dir>: a CPU profile of the whole pnpm start, written there when it stops.
  const profile = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'scripts/start-all.ts'], {
    cwd: root,
    stdio: ['ignore', 'ignore', stderr],
    env: {
      ...process.env,
      INGEST_PORT: String(ingest),
      ESCALATION_PORT: String(escalation),
      PROJECTION_PORT: String(projection),
      KLAXON_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      ...env,
    },
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  try {
    await until(
      async () =>
        (await fetch(`http://127.0.0.1:${ingest}/ready`)).ok &&
        (await fetch(`http://127.0.0.1:${escalation}/ready`)).ok,
      60_000,
      'pnpm start to be ready',
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { ingest, escalation, pid: child.pid!, stop };
}
