import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './alertmanager.ts';
import { dockerAvailable } from './docker.ts';
import { tempDir } from './temp-dir.ts';

const run = promisify(execFile);
const KAFKA_LOCAL = fileURLToPath(new URL('../../../infra/kafka-local/', import.meta.url));
const CLASSPATH_FILE = join(KAFKA_LOCAL, 'target', 'classpath.txt');

/**
 * Apache Kafka's broker from Maven Central (infra/kafka-local/pom.xml): resolves it once (Maven caches the jars
 * in ~/.m2; the class path is kept in infra/kafka-local/target) and answers the class path.
 */
export async function kafkaClasspath(): Promise<string> {
  const cached = existsSync(CLASSPATH_FILE) ? readFileSync(CLASSPATH_FILE, 'utf8').trim() : '';
  if (cached && cached.split(':').every((jar) => existsSync(jar))) return cached;
  await run('mvn', ['-q', '-B', 'dependency:build-classpath', `-Dmdep.outputFile=${CLASSPATH_FILE}`], {
    cwd: KAFKA_LOCAL,
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return readFileSync(CLASSPATH_FILE, 'utf8').trim();
}

/** Whether this machine can run the broker: Java and Maven on the PATH. */
export async function javaAndMavenPresent(): Promise<boolean> {
  try {
    await run('java', ['-version']);
    await run('mvn', ['-v']);
    return true;
  } catch {
    return false;
  }
}

export interface LocalKafka {
  /** host:port of the PLAINTEXT listener. */
  brokers: string[];
  /** Milliseconds from spawning the JVM to the listener answering, for the last start. */
  startMs: number;
  /** SIGKILL: the broker dies as on a power cut; its data directory stays for `start()`. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data, after `kill()`. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
  output(): string;
  /** The broker JVM's process id while it runs (benches read its CPU time from /proc). */
  pid(): number | undefined;
}

/**
 * A single-node KRaft broker (combined broker and controller) on a free loopback port, with its own data
 * directory, started as its own JVM process so tests can kill and restart it.
 */
export async function startLocalKafka(): Promise<LocalKafka> {
  const classpath = await kafkaClasspath();
  const dir = tempDir('klaxon-kafka-');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = dir.file('server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${dir.file('data')}`,
      // One node: the internal topics cannot have more replicas than that.
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  );
  const java = [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseSerialGC',
    // A fixed set of JIT compiler threads: benches read their CPU time, which leaves with a thread that ends.
    '-XX:-UseDynamicNumberOfCompilerThreads',
    `-Dlog4j.configuration=file:${join(KAFKA_LOCAL, 'log4j.properties')}`,
    '-cp',
    classpath,
  ];
  // `--cluster-id=`: a random id may begin with '-', which would read as an option.
  await run(
    'java',
    [
      ...java,
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      `--cluster-id=${clusterId()}`,
      '-c',
      properties,
    ],
    {
      timeout: 120_000,
    },
  ).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`formatting the Kafka broker's storage failed: ${error.stderr || error.message.slice(-2000)}`);
  });

  let child: ChildProcess | undefined;
  let out = '';
  const broker: LocalKafka = {
    brokers: [`127.0.0.1:${port}`],
    startMs: 0,
    output: () => out,
    pid: () => child?.pid,
    async start() {
      const started = Date.now();
      child = spawn('java', [...java, 'kafka.Kafka', properties], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
      child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
      const exited = new Promise<never>((_, reject) =>
        child!.once('exit', (code) => reject(new Error(`the Kafka broker exited (${code}):\n${out}`))),
      );
      await Promise.race([listening(port, 120_000), exited]);
      exited.catch(() => undefined);
      broker.startMs = Date.now() - started;
    },
    async kill() {
      const dying = child;
      if (!dying || dying.exitCode !== null || dying.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        dying.once('exit', () => resolve());
        dying.kill('SIGKILL');
      });
    },
    async stop() {
      await broker.kill();
      dir.remove();
    },
  };
  await broker.start();
  return broker;
}

/** A KRaft cluster id: 16 random bytes, base64url without padding, as `kafka-storage random-uuid` prints. */
const clusterId = () => Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');

async function listening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`the Kafka broker did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface KafkaForTests {
  brokers: string[];
  /** Where the broker came from, for the suite's first line. */
  via: 'local broker (Maven)' | 'testcontainers';
  /** The local broker, for fault tests that kill and restart it; absent under testcontainers. */
  local?: LocalKafka;
  stop(): Promise<void>;
}

/**
 * A real Kafka broker for a suite: the local KRaft broker from Maven where Java and Maven are present (the
 * developers' machines and CI here), else a testcontainers broker where a Docker engine answers; else the
 * suite skips with one line. Under CI=true the Kafka suites must run, so .ci/run fails on that line.
 */
export async function kafkaForTests(suite: string): Promise<KafkaForTests | undefined> {
  if (await javaAndMavenPresent()) {
    const local = await startLocalKafka();
    return { brokers: local.brokers, via: 'local broker (Maven)', local, stop: () => local.stop() };
  }
  if (await dockerAvailable(`${suite} (no Java and Maven here for a local broker)`)) {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    const container = await new KafkaContainer('confluentinc/cp-kafka:7.9.1').withKraft().start();
    return {
      brokers: [`${container.getHost()}:${container.getMappedPort(9093)}`],
      via: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  }
  return undefined;
}
