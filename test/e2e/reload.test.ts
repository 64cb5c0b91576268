import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeTwilio, tempDir } from '@klaxon/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startReadyKlaxon, twilioEnv, type ReadyKlaxon } from './klaxon-process.ts';

const API_TOKEN = 'reload-e2e-api-token-0001';
const WEBHOOK_TOKEN = 'reload-e2e-webhook-token';
const GRAFANA_TOKEN = 'reload-e2e-grafana-token-01';
const READER_TOKEN = 'reload-e2e-kpi-reader-token';
const TOM = '+15550100003';

/**
 * The shipped klaxon.yaml, then one edit: alerts from `source: reload-e2e` go to tom by SMS, a new
 * integration `grafana` may send alerts, and a viewer service token may read KPIs. Each of the three
 * services owns one of these, so each must have reloaded for all three to hold.
 */
const SHIPPED = readFileSync(join(REPO_ROOT, 'klaxon.yaml'), 'utf8');
const EDITED = SHIPPED.replace(/^routes:\n/m, 'routes:\n  - match: { source: reload-e2e }\n    policy: payments\n')
  .replace(
    /^policies:\n/m,
    'policies:\n  payments:\n    levels:\n      L1: { targets: [contact:tom], channels: [sms] }\n',
  )
  .replace(/^integrations:\n/m, `integrations:\n  grafana: { token: "${GRAFANA_TOKEN}" }\n`)
  .replace(
    /^api:\n {2}tokens: \[(.*)\]$/m,
    `api:\n  tokens: [$1, { name: kpi-reader, token: "${READER_TOKEN}", role: viewer }]`,
  );
const BROKEN = EDITED.replace('policy: payments', 'policy: no-such-policy');
/**
 * The edited file with its policy renamed (`payments` is gone, and `payments-bob` pages bob instead of tom)
 * and the integration `grafana` removed again.
 */
const RENAMED = EDITED.replace('policy: payments\n', 'policy: payments-bob\n')
  .replace(
    '  payments:\n    levels:\n      L1: { targets: [contact:tom], channels: [sms] }\n',
    '  payments-bob:\n    levels:\n      L1: { targets: [contact:bob], channels: [sms] }\n',
  )
  .replace(`  grafana: { token: "${GRAFANA_TOKEN}" }\n`, '');
const BOB = '+15550100002';

describe('reloading the configuration of pnpm start without a restart', () => {
  let running: ReadyKlaxon;
  let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
  const urls = {} as Record<'ingest' | 'escalation' | 'projection', string>;
  const data = tempDir('klaxon-reload-');
  const file = data.file('klaxon.yaml');

  beforeAll(async () => {
    writeFileSync(file, SHIPPED);
    fake = await startFakeTwilio();
    running = await startReadyKlaxon(({ escalation }) => ({
      KLAXON_CONFIG: file,
      KLAXON_DATA_DIR: data.path,
      KLAXON_API_TOKEN: API_TOKEN,
      KLAXON_WEBHOOK_TOKEN: WEBHOOK_TOKEN,
      KLAXON_PUBLIC_URL: escalation,
      ...twilioEnv(fake),
    }));
    Object.assign(urls, { ingest: running.ingest, escalation: running.escalation, projection: running.projection });
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
    await fake?.close();
    data.remove();
  });

  const trigger = (summary: string, routingKey = WEBHOOK_TOKEN) =>
    fetch(`${urls.ingest}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: routingKey,
        event_action: 'trigger',
        payload: { summary, source: 'reload-e2e', severity: 'critical' },
      }),
    });
  const smsFor = (summary: string) =>
    fake
      .messages()
      .filter((m) => m.Body.includes(summary))
      .map((m) => m.To);
  const reload = (service: keyof typeof urls, token = API_TOKEN) =>
    fetch(`${urls[service]}/-/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const kpisAs = (token: string) =>
    fetch(`${urls.projection}/api/v1/kpis`, { headers: { authorization: `Bearer ${token}` } });
  const configEntries = async () => {
    const answer = await fetch(`${urls.escalation}/api/v1/audit?kind=config`, {
      headers: { authorization: `Bearer ${API_TOKEN}` },
    });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { entries: Array<{ actor: unknown; detail: { changed: string[] } }> }).entries;
  };
  const onCallPhone = async () => {
    const schedules = (await (
      await fetch(`${urls.escalation}/api/v1/schedules`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
    ).json()) as { schedules: Array<{ name: string; onCall: string }> };
    const who = schedules.schedules.find((s) => s.name === 'primary-oncall')!.onCall;
    return { alice: '+15550100001', bob: '+15550100002' }[who]!;
  };

  it(
    'a broken file is refused by every service and changes nothing; SIGHUP with a good one changes routing, tokens and integrations at once, and the audit log has it',
    { timeout: 120_000 },
    async () => {
      const onCall = await onCallPhone();
      // Before: the catch-all pages the on-call engineer; grafana's token and the reader's are unknown.
      expect((await trigger('Before the reload')).status).toBe(202);
      await expect.poll(() => smsFor('Before the reload'), { timeout: 20_000 }).toEqual([onCall]);
      expect((await trigger('Grafana before', GRAFANA_TOKEN)).status).toBe(401);
      expect((await kpisAs(READER_TOKEN)).status).toBe(401);

      // A broken file: refused with its problems by each service, on request and on SIGHUP alike.
      writeFileSync(file, BROKEN);
      for (const service of ['ingest', 'escalation', 'projection'] as const) {
        const refused = await reload(service);
        expect(refused.status, service).toBe(400);
        const body = (await refused.json()) as { problems: Array<{ message: string }> };
        expect(JSON.stringify(body.problems), service).toContain('no-such-policy');
      }
      const refusals = () =>
        running
          .output()
          .split('\n')
          .filter((line) => line.includes('service:SIGHUP') && line.includes('configuration not reloaded')).length;
      running.process.kill('SIGHUP');
      // One refusal logged by each of the three services.
      await expect.poll(refusals, { timeout: 10_000 }).toBe(3);
      expect(running.process.exitCode).toBeNull();
      expect((await trigger('Still before')).status).toBe(202);
      await expect.poll(() => smsFor('Still before'), { timeout: 20_000 }).toEqual([onCall]);
      expect((await trigger('Grafana still before', GRAFANA_TOKEN)).status).toBe(401);
      expect((await kpisAs(READER_TOKEN)).status).toBe(401);
      expect(await configEntries()).toEqual([]);

      // The good file, by SIGHUP to the one process: all three services take it, no restart.
      writeFileSync(file, EDITED);
      running.process.kill('SIGHUP');
      await expect.poll(async () => (await configEntries()).length, { timeout: 10_000 }).toBe(1);
      const [applied] = await configEntries();
      expect(applied).toMatchObject({ actor: { kind: 'service', name: 'SIGHUP' } });
      expect(applied!.detail.changed).toEqual(
        expect.arrayContaining(['api.tokens', 'integrations.grafana', 'policies.payments', 'routes']),
      );
      await expect.poll(async () => (await kpisAs(READER_TOKEN)).status, { timeout: 10_000 }).toBe(200);
      // Only an admin may reload: the reader's token, now known, is refused.
      expect((await reload('projection', READER_TOKEN)).status).toBe(403);
      expect((await reload('ingest', READER_TOKEN)).status).toBe(403);
      expect((await trigger('After the reload')).status).toBe(202);
      await expect.poll(() => smsFor('After the reload'), { timeout: 20_000 }).toEqual([TOM]);
      expect((await trigger('Grafana after', GRAFANA_TOKEN)).status).toBe(202);
      await expect.poll(() => smsFor('Grafana after'), { timeout: 20_000 }).toEqual([TOM]);
      expect(running.process.exitCode).toBeNull();

      // The same file by request: applied, nothing changed, and recorded as the admin's.
      const again = await reload('escalation');
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ changed: [] });
      expect(await reload('ingest').then((r) => r.json())).toMatchObject({ changed: [] });
      expect((await configEntries()).map((e) => e.actor)).toEqual([
        { kind: 'service', name: 'SIGHUP' },
        { kind: 'service', name: 'api' },
      ]);
    },
  );

  it(
    "a reload through projection's port reloads projection only: escalation routes by its own configuration until SIGHUP reloads both",
    { timeout: 120_000 },
    async () => {
      expect(RENAMED).toContain('policy: payments-bob');
      expect(RENAMED).not.toMatch(/^ {2}payments:$/m);
      expect(RENAMED).not.toContain(GRAFANA_TOKEN);
      writeFileSync(file, RENAMED);
      const viaProjection = await reload('projection');
      expect(viaProjection.status).toBe(200);
      expect(((await viaProjection.json()) as { changed: string[] }).changed).toEqual(
        expect.arrayContaining(['policies.payments', 'policies.payments-bob', 'routes']),
      );
      // Escalation has not read the file: its route and policy `payments` still page tom, and nothing is
      // recorded. Sharing projection's configuration, it routed to the removed `payments` and paged nobody.
      expect((await trigger('Projection reloaded')).status).toBe(202);
      await expect.poll(() => smsFor('Projection reloaded'), { timeout: 20_000 }).toEqual([TOM]);
      expect(await configEntries()).toHaveLength(2);
      // Nor has ingest: grafana's token is still accepted.
      expect((await trigger('Grafana kept', GRAFANA_TOKEN)).status).toBe(202);

      // SIGHUP: escalation reads the file too, records it, and the next alert goes to the renamed policy.
      running.process.kill('SIGHUP');
      await expect.poll(async () => (await configEntries()).length, { timeout: 10_000 }).toBe(3);
      expect((await configEntries())[2]!.detail.changed).toEqual(
        expect.arrayContaining(['policies.payments', 'policies.payments-bob', 'routes']),
      );
      expect((await trigger('After SIGHUP')).status).toBe(202);
      await expect.poll(() => smsFor('After SIGHUP'), { timeout: 20_000 }).toEqual([BOB]);
      // Ingest took the file too: the removed integration's token, accepted until now, is refused.
      await expect.poll(async () => (await trigger('Grafana removed', GRAFANA_TOKEN)).status).toBe(401);
      expect(running.process.exitCode).toBeNull();
    },
  );
});
