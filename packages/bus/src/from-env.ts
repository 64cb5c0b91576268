import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from './bus.ts';
import { openEmbeddedBus } from './embedded-bus.ts';
import { openKafkaBus, type BusLogger } from './kafka-bus.ts';

export interface BusEnv {
  KLAXON_DATA_DIR: string;
  KAFKA_BROKERS?: string;
  KAFKA_PARTITIONS?: number;
  KAFKA_REPLICATION_FACTOR?: number;
  KAFKA_SESSION_TIMEOUT_MS?: number;
}

/** `KAFKA_BROKERS` (comma-separated host:port) means Kafka; unset means the embedded log under the data dir. */
export async function openBusFromEnv(env: BusEnv, logger?: BusLogger): Promise<Bus> {
  if (env.KAFKA_BROKERS) {
    const sessionTimeoutMs = env.KAFKA_SESSION_TIMEOUT_MS ?? 30_000;
    return openKafkaBus({
      brokers: env.KAFKA_BROKERS.split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      partitions: env.KAFKA_PARTITIONS,
      replicationFactor: env.KAFKA_REPLICATION_FACTOR,
      sessionTimeoutMs,
      // Kafka's advice: a third of the session, so two heartbeats may be lost before the member is.
      heartbeatIntervalMs: Math.max(1000, Math.floor(sessionTimeoutMs / 3)),
      logger,
    });
  }
  mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
  return openEmbeddedBus(join(env.KLAXON_DATA_DIR, 'bus.db'), { logger });
}
