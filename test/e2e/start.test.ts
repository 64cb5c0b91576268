import { existsSync } from 'node:fs';
import { tempDir } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { freePort, startKlaxon, waitForHttp } from './klaxon-process.ts';

it('pnpm start runs the three services in one process on the embedded store, and stops cleanly on SIGTERM', async () => {
  const data = tempDir('klaxon-start-');
  const ports = { INGEST_PORT: await freePort(), ESCALATION_PORT: await freePort(), PROJECTION_PORT: await freePort() };
  const klaxon = startKlaxon({
    KLAXON_DATA_DIR: data.path,
    KLAXON_HOST: '127.0.0.1',
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
  });
  try {
    for (const [name, port] of [
      ['ingest', ports.INGEST_PORT],
      ['escalation', ports.ESCALATION_PORT],
      ['projection', ports.PROJECTION_PORT],
    ] as const) {
      const health = await waitForHttp(`http://127.0.0.1:${port}/health`);
      expect(await health.json()).toEqual({ status: 'ok', service: name });
      expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(`service="${name}"`);
    }
    expect(existsSync(data.file('events.db'))).toBe(true);
  } finally {
    expect(await klaxon.stop()).toBe(0);
    data.remove();
  }
});

it('pnpm start exits with status 1, naming the cause, when escalation and projection cannot start: nothing half-runs', async () => {
  const data = tempDir('klaxon-start-');
  // Escalation's and projection's threads open the event store named here, and nothing listens on port 1.
  const klaxon = startKlaxon({
    KLAXON_DATA_DIR: data.path,
    KLAXON_HOST: '127.0.0.1',
    INGEST_PORT: String(await freePort()),
    DATABASE_URL: 'postgres://klaxon@127.0.0.1:1/klaxon',
  });
  try {
    const code = await new Promise((resolve) => klaxon.process.once('exit', resolve));
    expect(code).toBe(1);
    expect(klaxon.output()).toMatch(
      /"level":60.*ECONNREFUSED 127\.0\.0\.1:1.*"service":"(escalation|projection)".*(escalation|projection) stopped; exiting/,
    );
  } finally {
    await klaxon.stop();
    data.remove();
  }
});
