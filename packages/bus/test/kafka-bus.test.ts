import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedTestContainer } from 'testcontainers';
import { dockerAvailable } from '@klaxon/testing';
import { openKafkaBus } from '../src/index.ts';
import { busContract } from './contract/bus-contract.ts';

const docker = await dockerAvailable('Kafka bus suites (testcontainers, Kafka in KRaft mode)');

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

  it('splits the partitions between two consumers of one group, and hands them all to the survivor when one stops', { timeout: 120_000 }, async () => {
    const bus = await openKafkaBus({ brokers, partitions: 4, replicationFactor: 1 });
    const topic = `alerts-${Math.random().toString(36).slice(2, 8)}`;
    const held: Record<'a' | 'b', number[]> = { a: [], b: [] };
    const a = await bus.consume({ topic, group: 'escalation', handle: async () => undefined, onAssignment: (p) => (held.a = p) });
    const b = await bus.consume({ topic, group: 'escalation', handle: async () => undefined, onAssignment: (p) => (held.b = p) });
    const settled = async (check: () => boolean) => {
      const deadline = Date.now() + 60_000;
      while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    };
    await settled(() => held.a.length > 0 && held.b.length > 0 && held.a.length + held.b.length === 4);
    expect([...held.a, ...held.b].sort()).toEqual([0, 1, 2, 3]);
    await a.stop();
    await settled(() => held.b.length === 4);
    expect(held.b).toEqual([0, 1, 2, 3]);
    await b.stop();
    await bus.close();
  });
});
