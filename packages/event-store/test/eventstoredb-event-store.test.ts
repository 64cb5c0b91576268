import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartedTestContainer } from 'testcontainers';
import { dockerAvailable } from '@klaxon/testing';
import { decodePosition, encodePosition, openEventStoreDbEventStore } from '../src/index.ts';
import { eventStoreContract } from './contract/event-store-contract.ts';

describe('EventStoreDB positions', () => {
  it('pack (commit, prepare) into one bigint that keeps $all order and comes back exact', () => {
    const a = { commit: 1_000n, prepare: 990n };
    const b = { commit: 1_000n, prepare: 1_000n };
    const c = { commit: 2n ** 63n, prepare: 2n ** 63n - 7n };
    expect(encodePosition(a) < encodePosition(b)).toBe(true);
    expect(encodePosition(b) < encodePosition(c)).toBe(true);
    for (const p of [a, b, c]) expect(decodePosition(encodePosition(p))).toEqual(p);
  });
});

const docker = await dockerAvailable('EventStoreDB event-store contract suite (testcontainers)');

describe.runIf(docker)('EventStoreDB', () => {
  let container: StartedTestContainer;
  let connectionString: string;
  beforeAll(async () => {
    const { GenericContainer, Wait } = await import('testcontainers');
    container = await new GenericContainer('eventstore/eventstore:24.10')
      .withEnvironment({ EVENTSTORE_INSECURE: 'true', EVENTSTORE_MEM_DB: 'true', EVENTSTORE_RUN_PROJECTIONS: 'None' })
      .withExposedPorts(2113)
      .withWaitStrategy(Wait.forHttp('/health/live', 2113).forStatusCode(204))
      .start();
    connectionString = `esdb://${container.getHost()}:${container.getMappedPort(2113)}?tls=false`;
  }, 180_000);
  afterAll(async () => container?.stop());

  // Every test gets its own stream names: one server serves the whole suite.
  eventStoreContract('EventStoreDB (@eventstore/db-client)', async () => {
    let store = await openEventStoreDbEventStore(connectionString);
    return {
      store,
      namespace: `t${Math.random().toString(36).slice(2, 8)}-`,
      async reopen() {
        await store.close();
        store = await openEventStoreDbEventStore(connectionString);
        return store;
      },
      async dispose() {
        await store.close();
      },
    };
  });
});
