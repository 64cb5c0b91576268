import { existsSync } from 'node:fs';

/**
 * Whether a Docker engine answers, for the testcontainers suites (Kafka, EventStoreDB). Where none does,
 * as on the developers' machines here, the suite skips with exactly one line saying so.
 */
export async function dockerAvailable(suite: string): Promise<boolean> {
  const socket =
    process.env.DOCKER_HOST ?? (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
  if (!socket) {
    console.warn(
      `SKIPPED ${suite}: no Docker engine (no DOCKER_HOST, no /var/run/docker.sock); it runs wherever Docker exists`,
    );
    return false;
  }
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch (error) {
    console.warn(
      `SKIPPED ${suite}: Docker engine at ${socket} did not answer (${(error as Error).message.split('\n')[0]})`,
    );
    return false;
  }
}
