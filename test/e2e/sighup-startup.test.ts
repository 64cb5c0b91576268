import { readFileSync } from 'node:fs';
import { tempDir } from '@klaxon/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startKlaxon, waitForHttp, type RunningKlaxon } from './klaxon-process.ts';

const API_TOKEN = 'sighup-e2e-api-token-0001';

/** Whether the process catches SIGHUP yet (Linux: bit 0 of SigCgt in /proc/<pid>/status is signal 1). */
const catchesSighup = (pid: number) => {
  const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return caught !== undefined && (BigInt(`0x${caught}`) & 1n) === 1n;
};

describe('a SIGHUP while pnpm start is starting', () => {
  let running: RunningKlaxon | undefined;
  const data = tempDir('klaxon-sighup-');
  afterAll(async () => {
    await running?.stop();
    data.remove();
  });

  it(
    'does not kill it: it is logged, the process comes up, and the configuration is reloaded once all three are',
    {
      timeout: 120_000,
    },
    async () => {
      const ports = {
        INGEST_PORT: await freePort(),
        ESCALATION_PORT: await freePort(),
        PROJECTION_PORT: await freePort(),
      };
      const urls = Object.values(ports).map((port) => `http://127.0.0.1:${port}`);
      running = startKlaxon({
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        KLAXON_HOST: '127.0.0.1',
        KLAXON_DATA_DIR: data.path,
        KLAXON_API_TOKEN: API_TOKEN,
        KLAXON_PUBLIC_URL: urls[1]!,
      });
      const pid = running.process.pid!;
      // As soon as the process takes SIGHUP (before that, Node's default ends it, as it would any program
      // that has not started): sent then, it lands in start-up, while the stores open and the worker loads.
      await expect.poll(() => catchesSighup(pid), { timeout: 60_000, interval: 5 }).toBe(true);
      const upWhenSent = await fetch(`${urls[0]}/ready`).then(
        () => true,
        () => false,
      );
      running.process.kill('SIGHUP');
      expect(upWhenSent).toBe(false);

      for (const base of urls) await waitForHttp(`${base}/ready`, 90_000);
      expect(running.process.exitCode).toBeNull();
      expect(running.output()).toContain('SIGHUP during start-up');
      // Applied once they were up, by each of the three services (escalation records it in the audit log).
      const applied = () =>
        running!
          .output()
          .split('\n')
          .filter((line) => line.includes('configuration applied') && line.includes('SIGHUP')).length;
      await expect.poll(applied, { timeout: 20_000 }).toBe(3);
      const audit = await fetch(`${urls[1]}/api/v1/audit?kind=config`, {
        headers: { authorization: `Bearer ${API_TOKEN}` },
      });
      expect(((await audit.json()) as { entries: Array<{ actor: unknown }> }).entries).toMatchObject([
        { actor: { kind: 'service', name: 'SIGHUP' } },
      ]);
      expect(running.process.exitCode).toBeNull();
    },
  );
});
