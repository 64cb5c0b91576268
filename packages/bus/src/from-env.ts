import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Bus } from './bus.ts';
import { openEmbeddedBus } from './embedded-bus.ts';
import { openKafkaBus } from './kafka-bus.ts';

export interface BusEnv {
  KLAXON_DATA_DIR: string;
  KAFKA_BROKERS?: string;
  KAFKA_PARTITIONS?: number;
}

/** `KAFKA_BROKERS` (comma-separated host:port) means Kafka; unset means the embedded log under the data dir. */
export async function openBusFromEnv(env: BusEnv): Promise<Bus> {
  if (env.KAFKA_BROKERS) {
    return openKafkaBus({ brokers: env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean), partitions: env.KAFKA_PARTITIONS });
  }
  mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
  return openEmbeddedBus(join(env.KLAXON_DATA_DIR, 'bus.db'));
}
