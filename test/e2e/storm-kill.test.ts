import { tempDir } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { freePort, startKlaxon, waitForReady } from './klaxon-process.ts';

const AM_TOKEN = 'storm-kill-am-token-0123456789';
const API_TOKEN = 'storm-kill-api-token-0123456789';
const GROUPS = 20;
const ALERTS_PER_NOTIFICATION = 10;

/** The k-th notification of the storm: ten new alerts of one of twenty groups, as Alertmanager sends them. */
const notification = (k: number) => {
  const group = `{}:{alertname="StormKill${k % GROUPS}"}`;
  return {
    version: '4',
    groupKey: group,
    status: 'firing',
    receiver: 'klaxon',
    groupLabels: { alertname: `StormKill${k % GROUPS}` },
    commonLabels: { alertname: `StormKill${k % GROUPS}`, severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: Array.from({ length: ALERTS_PER_NOTIFICATION }, (_, i) => ({
      status: 'firing',
      labels: { alertname: `StormKill${k % GROUPS}`, severity: 'critical', instance: `host-${k}-${i}` },
      annotations: { summary: `Storm ${k % GROUPS}` },
      startsAt: '2026-12-03T01:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: `f${k}-${i}`,
    })),
  };
};

it(
  "pnpm start killed with SIGKILL in the middle of a storm: after a restart, every alert answered 202 is on its group's one incident",
  { timeout: 120_000 },
  async () => {
    const data = tempDir('klaxon-storm-kill-');
    const ports = { ingest: await freePort(), escalation: await freePort(), projection: await freePort() };
    const env = {
      KLAXON_DATA_DIR: data.path,
      KLAXON_HOST: '127.0.0.1',
      INGEST_PORT: String(ports.ingest),
      ESCALATION_PORT: String(ports.escalation),
      PROJECTION_PORT: String(ports.projection),
      KLAXON_ALERTMANAGER_TOKEN: AM_TOKEN,
      KLAXON_API_TOKEN: API_TOKEN,
    };
    const first = startKlaxon(env);
    const second = { current: undefined as ReturnType<typeof startKlaxon> | undefined };
    try {
      await waitForReady(first, [
        `http://127.0.0.1:${ports.ingest}/ready`,
        `http://127.0.0.1:${ports.escalation}/ready`,
      ]);

      // Eight senders until the kill; what was answered 202 is what must survive it.
      const accepted = new Map<string, Set<string>>();
      let next = 0;
      let killed = false;
      const senders = Array.from({ length: 8 }, async () => {
        while (!killed) {
          const body = notification(next++);
          const answer = await fetch(`http://127.0.0.1:${ports.ingest}/api/v1/alertmanager`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${AM_TOKEN}` },
            body: JSON.stringify(body),
          }).catch(() => undefined);
          if (answer?.status !== 202) continue;
          const seen = accepted.get(body.groupKey) ?? new Set<string>();
          for (const a of body.alerts) seen.add(a.fingerprint);
          accepted.set(body.groupKey, seen);
        }
      });
      const acceptedCount = () => [...accepted.values()].reduce((n, s) => n + s.size, 0);
      while (acceptedCount() < 3000) await new Promise((r) => setTimeout(r, 5));
      first.process.kill('SIGKILL');
      killed = true;
      await Promise.all(senders);
      await new Promise((r) =>
        first.process.exitCode !== null || first.process.signalCode !== null
          ? r(undefined)
          : first.process.once('exit', r),
      );
      expect(first.process.signalCode).toBe('SIGKILL');

      second.current = startKlaxon(env);
      await waitForReady(second.current, [`http://127.0.0.1:${ports.escalation}/ready`]);
      const api = async (path: string) =>
        (await (
          await fetch(`http://127.0.0.1:${ports.escalation}${path}`, {
            headers: { authorization: `Bearer ${API_TOKEN}` },
          })
        ).json()) as Record<string, unknown>;
      const missing = async () => {
        const { incidents } = (await api('/api/v1/incidents?limit=1000')) as {
          incidents: Array<{ id: string; groupKey: string }>;
        };
        const byGroup = new Map<string, string[]>();
        for (const { id, groupKey } of incidents) byGroup.set(groupKey, [...(byGroup.get(groupKey) ?? []), id]);
        let lost = 0;
        for (const [group, fingerprints] of accepted) {
          const ids = byGroup.get(group) ?? [];
          expect(ids.length, `incidents of ${group}`).toBeLessThanOrEqual(1);
          const alerts =
            ids.length === 1
              ? ((await api(`/api/v1/incidents/${ids[0]}`)).incident as { alerts: Record<string, string> }).alerts
              : {};
          for (const f of fingerprints) if (alerts[f] !== 'firing') lost++;
        }
        return lost;
      };
      // The restarted consumer goes on from its last committed offset; until it has caught up, some are not there yet.
      const deadline = Date.now() + 60_000;
      let lost = await missing();
      while (lost > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        lost = await missing();
      }
      expect(lost).toBe(0);
      expect(accepted.size).toBe(GROUPS);
      const { incidents } = (await api('/api/v1/incidents?limit=1000')) as { incidents: unknown[] };
      expect(incidents).toHaveLength(GROUPS);
    } finally {
      first.process.kill('SIGKILL');
      if (second.current) expect(await second.current.stop()).toBe(0);
      data.remove();
    }
  },
);
