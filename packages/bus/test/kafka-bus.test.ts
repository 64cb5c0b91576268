import { afterAll, beforeAll, describe } from 'vitest';
import type { StartedTestContainer } from 'testcontainers';
import { dockerAvailable } from '@klaxon/testing';
import { openKafkaBus } from '../src/index.ts';
import { busContract } from './contract/bus-contract.ts';

const docker = await dockerAvailable('Kafka bus contract suite (testcontainers, Kafka in KRaft mode)');

describe.runIf(docker)('Kafka', () => {
  let container: StartedTestContainer;
  let brokers: string[];
  beforeAll(async () => {
    const { KafkaContainer } = await import('@testcontainers/kafka');
    container = await new KafkaContainer('confluentinc/cp-kafka:7.9.1').withKraft().start();
    brokers = [`${container.getHost()}:${container.getMappedPort(9093)}`];
  }, 180_000);
  afterAll(async () => container?.stop());

  busContract(
    'Kafka (kafkajs)',
    async () => {
      const open = () => openKafkaBus({ brokers, partitions: 3, replicationFactor: 1, publishTimeoutMs: 5000 });
      let bus = await open();
      return {
        bus,
        async reopen() {
          await bus.close();
          bus = await open();
          return bus;
        },
        async dispose() {
          await bus.close().catch(() => undefined);
        },
      };
    },
    60_000,
  );
});
