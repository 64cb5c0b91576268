import { readFileSync } from 'node:fs';
import { freePort, startAlertmanager } from '@klaxon/testing';
import { httpLoad } from './http-load.ts';

/** The shape of load every Alertmanager-facing bench sends: notifications of 50 alerts over 8 connections. */
export const BATCH = 50;
export const CONNECTIONS = 8;

export const fixture = JSON.parse(
  readFileSync(new URL('../services/ingest/test/fixtures/alertmanager-0.25-firing.json', import.meta.url), 'utf8'),
) as {
  alerts: Array<{
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    generatorURL: string;
  }>;
};

/** The n-th notification's 50 alerts: distinct label sets, as one Alertmanager group notification would carry them. */
export const alertsOf = (n: number) =>
  Array.from({ length: BATCH }, (_, i) => ({
    ...fixture.alerts[0]!,
    labels: { ...fixture.alerts[0]!.labels, instance: `host-${n}-${i}` },
    fingerprint: `f${n}-${i}`,
  }));

/** The same alerts as Alertmanager's webhook carries them, firing. */
export const firingAlertsOf = (n: number) =>
  alertsOf(n).map((a) => ({ ...a, status: 'firing', endsAt: '0001-01-01T00:00:00Z' }));

/** Warm-up requests carry alerts and groups of their own, so the measured ones are new to the receiver. */
export const WARM = 1_000_000;

/**
 * A real Alertmanager (Debian's) taking the same alerts on its own API, POST /api/v2/alerts, closed loop,
 * after `warmupSeconds` of the same load unmeasured.
 */
export async function alertmanagerRate(
  seconds: number,
  warmupSeconds: number,
): Promise<{ alertsPerSecond: number; p99Ms: number }> {
  // Its notifications go to a port nobody listens on: what is measured is how fast it takes alerts in.
  const am = await startAlertmanager(`http://127.0.0.1:${await freePort()}/`, 'unused-token-0123456789');
  const send = (s: number, from: number) =>
    httpLoad({
      url: `${am.url}/api/v2/alerts`,
      body: (n) =>
        JSON.stringify(
          alertsOf(from + n).map(({ labels, annotations, startsAt, generatorURL }) => ({
            labels,
            annotations,
            startsAt,
            generatorURL,
          })),
        ),
      alertsPerRequest: BATCH,
      connections: CONNECTIONS,
      seconds: s,
      status: 200,
    });
  try {
    if (warmupSeconds > 0) await send(warmupSeconds, WARM);
    return await send(seconds, 0);
  } finally {
    await am.stop();
  }
}
