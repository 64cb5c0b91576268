import { networkInterfaces } from 'node:os';
import { tempDir } from '@klaxon/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, startService, waitForHttp, type RunningKlaxon } from './klaxon-process.ts';

/** An address of this machine other people could reach, when it has one. */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

const real = (name: string) => `real-${name.toLowerCase()}-0123456789`;
const exited = (klaxon: RunningKlaxon) =>
  new Promise<number | null>((resolve) => {
    if (klaxon.process.exitCode !== null) return resolve(klaxon.process.exitCode);
    klaxon.process.once('exit', resolve);
  });
const reachable = async (url: string) =>
  fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    (r) => r.ok,
    () => false,
  );

describe('a service on a shipped default secret listens on loopback only', () => {
  const running: RunningKlaxon[] = [];
  const data = tempDir('klaxon-shipped-');
  afterEach(async () => {
    await Promise.all(running.splice(0).map((k) => k.stop()));
  });
  afterAll(() => data.remove());
  const start = (...args: Parameters<typeof startService>) => {
    const klaxon = startService(...args);
    running.push(klaxon);
    return klaxon;
  };

  it("ingest on klaxon.yaml's change-me tokens, without KLAXON_HOST: loopback only, and it says which variables to set", async () => {
    const port = await freePort();
    const ingest = start('ingest', { INGEST_PORT: String(port), KLAXON_DATA_DIR: data.file('a') });
    await waitForHttp(`http://127.0.0.1:${port}/health`);
    expect(ingest.output()).toMatch(/listening on loopback only.*KLAXON_ALERTMANAGER_TOKEN.*KLAXON_WEBHOOK_TOKEN/);
    if (outside) expect(await reachable(`http://${outside}:${port}/health`)).toBe(false);
  });

  it('ingest on a shipped token refuses a non-loopback KLAXON_HOST, listing the variables to set', async () => {
    const ingest = start('ingest', {
      INGEST_PORT: String(await freePort()),
      KLAXON_DATA_DIR: data.file('b'),
      KLAXON_HOST: '0.0.0.0',
      KLAXON_ALERTMANAGER_TOKEN: real('alertmanager'),
    });
    expect(await exited(ingest)).toBe(1);
    expect(ingest.output()).toContain('KLAXON_HOST=0.0.0.0 is refused');
    expect(ingest.output()).toContain('KLAXON_WEBHOOK_TOKEN (integrations.webhooks.token)');
    expect(ingest.output()).not.toContain('KLAXON_ALERTMANAGER_TOKEN (');
  });

  it('escalation with real API tokens but a change-me link secret refuses a non-loopback KLAXON_HOST', async () => {
    const escalation = start('escalation', {
      ESCALATION_PORT: String(await freePort()),
      KLAXON_DATA_DIR: data.file('c'),
      KLAXON_HOST: '0.0.0.0',
      KLAXON_API_TOKEN: real('api'),
      KLAXON_LINK_SECRET: 'change-me-link-secret-0001',
    });
    expect(await exited(escalation)).toBe(1);
    expect(escalation.output()).toMatch(/KLAXON_HOST=0\.0\.0\.0 is refused.*Set KLAXON_LINK_SECRET\b/);
  });

  it('projection with its real API token and no KLAXON_HOST listens on every address, as in the compose stack', async () => {
    const port = await freePort();
    const projection = start('projection', {
      PROJECTION_PORT: String(port),
      KLAXON_DATA_DIR: data.file('d'),
      KLAXON_API_TOKEN: real('api'),
    });
    await waitForHttp(`http://127.0.0.1:${port}/health`);
    expect(projection.output()).not.toContain('loopback only');
    if (outside) expect(await reachable(`http://${outside}:${port}/health`)).toBe(true);
  });
});

describe('links work across instances: one link secret, required outside the embedded default', () => {
  const data = tempDir('klaxon-link-secret-');
  afterAll(() => data.remove());

  it.each([
    ['KAFKA_BROKERS', '127.0.0.1:1'],
    ['DATABASE_URL', 'postgres://postgres@127.0.0.1:1/none'],
    ['ESDB_CONNECTION_STRING', 'esdb://127.0.0.1:1?tls=false'],
  ])('escalation with %s and no KLAXON_LINK_SECRET does not start, and says why', async (variable, value) => {
    const escalation = startService('escalation', {
      ESCALATION_PORT: String(await freePort()),
      KLAXON_DATA_DIR: data.file(variable),
      KLAXON_HOST: '127.0.0.1',
      [variable]: value,
    });
    try {
      expect(await exited(escalation)).toBe(1);
      expect(escalation.output()).toContain(`KLAXON_LINK_SECRET is not set, and ${variable} is set`);
    } finally {
      await escalation.stop();
    }
  });
});
