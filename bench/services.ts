import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, freshDatabase, startLocalKafka } from '@klaxon/testing';
import { warmBroker } from './broker-warm-up.ts';
import { until } from './full-klaxon.ts';
import { kernelCalls, processCpuSeconds, threadCpuSeconds } from './proc-cpu.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Kafka partitions of the production path's topics. */
export const PARTITIONS = 6;
/**
 * Seconds of traffic a new broker takes at least before Klaxon's services start (`warmBroker`), and then
 * until its JIT compilers settle or the most seconds pass; 0 for a broker seconds old, as every run had
 * before the eleventh session.
 */
export const BROKER_WARMUP_SECONDS = Number(process.env.BENCH_BROKER_WARMUP ?? 20);
export const BROKER_WARMUP_MAX_SECONDS = Number(process.env.BENCH_BROKER_WARMUP_MAX ?? 120);
/** How the benches say it. */
export const BROKER_WARMUP_TEXT =
  BROKER_WARMUP_SECONDS > 0
    ? `given at least ${BROKER_WARMUP_SECONDS} s of the same traffic, then more until its JIT compilers settle, at most ${BROKER_WARMUP_MAX_SECONDS} s, before the services start`
    : 'not warmed';

export interface Service {
  child: ChildProcess;
  port: number;
  output(): string;
}

/** One service of the production path as its own process (`services/<name>/src/main.ts`) on a free port. */
export async function startService(name: 'ingest' | 'escalation' | 'projection', env: Record<string, string>) {
  const port = await freePort();
  const variable = { ingest: 'INGEST_PORT', escalation: 'ESCALATION_PORT', projection: 'PROJECTION_PORT' }[name];
  let out = '';
  // BENCH_PROF=<dir>: a CPU profile of each service, written there when it stops.
  const profile = process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}/${name}`] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', `services/${name}/src/main.ts`], {
    cwd: root,
    env: { ...process.env, ...env, [variable]: String(port), KLAXON_HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-10_000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-10_000)));
  return { child, port, output: () => out } satisfies Service;
}

export const stopService = (s: Service) =>
  new Promise<void>((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });

/**
 * CPU seconds of a JVM's JIT compiler threads (`C1 CompilerThre…`, `C2 CompilerThre…`): the broker is a new
 * JVM in every run, and a broker that has run for days has long finished compiling its request path.
 */
function jitCompilerSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return [...threadCpuSeconds(pid)].reduce((sum, [name, s]) => (/CompilerThre/.test(name) ? sum + s : sum), 0);
  } catch {
    return 0; // gone
  }
}

/**
 * Ingest, escalation and projection as three processes on a real Kafka broker and a fresh PostgreSQL
 * database, each ready; `env` adds to their environment (configuration, providers). CPU by process.
 */
export async function startProductionKlaxon(env: Record<string, string>, dataDir: string) {
  const kafka = await startLocalKafka();
  const [warmed, database] = await warmBroker(kafka.brokers, PARTITIONS, {
    minSeconds: BROKER_WARMUP_SECONDS,
    maxSeconds: BROKER_WARMUP_MAX_SECONDS,
    compilerSeconds: () => jitCompilerSeconds(kafka.pid()),
  })
    .then(async (w) => [w, await freshDatabase()] as const)
    .catch(async (error: unknown) => {
      await kafka.stop();
      throw error;
    });
  const shared = {
    ...env,
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_PARTITIONS: String(PARTITIONS),
  };
  const services: Partial<Record<'ingest' | 'escalation' | 'projection', Service>> = {};
  const stop = async () => {
    await Promise.all(Object.values(services).map(stopService));
    await database.drop().catch(() => undefined);
    await kafka.stop();
  };
  try {
    for (const name of ['escalation', 'projection', 'ingest'] as const) {
      const s = await startService(name, { ...shared, KLAXON_DATA_DIR: `${dataDir}/${name}` });
      services[name] = s;
      await until(
        async () => (await fetch(`http://127.0.0.1:${s.port}/ready`)).ok,
        120_000,
        `${name} to be ready:\n${s.output()}`,
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const { ingest, escalation, projection } = services as Record<'ingest' | 'escalation' | 'projection', Service>;
  const pids = { ingest: ingest.child.pid, escalation: escalation.child.pid, projection: projection.child.pid };
  return {
    ingest: ingest.port,
    escalation: escalation.port,
    /** How the broker's warm-up ended. */
    warmed,
    /** CPU seconds so far of each service's process and the broker's. */
    cpu: () =>
      new Map([
        ...Object.entries(pids).map(([name, pid]) => [name, processCpuSeconds(pid)] as const),
        ['broker', processCpuSeconds(kafka.pid())] as const,
        ["broker's JIT compilers (part of broker)", jitCompilerSeconds(kafka.pid())] as const,
      ]),
    /** Read and write calls and context switches so far of each service's process and the broker's. */
    calls: () =>
      new Map([
        ...Object.entries(pids).map(([name, pid]) => [name, kernelCalls(pid)] as const),
        ['broker', kernelCalls(kafka.pid())] as const,
      ]),
    stop,
  };
}
