import { loadConfig } from '@klaxon/config';
import { onCallAt, toInstant } from '@klaxon/domain';
import { startAlertmanager, startFakeTwilio, startSmtpSink } from '@klaxon/testing';
import { expect } from 'vitest';
import { freePort, REPO_ROOT, waitForHttp } from './klaxon-process.ts';

export interface Ports {
  INGEST_PORT: number;
  ESCALATION_PORT: number;
  PROJECTION_PORT: number;
}

/** Starts Klaxon however the test means to (one process, three processes) with this environment. */
export type Launch = (env: Record<string, string>, ports: Ports) => Promise<{ stop(): Promise<void> }>;

/**
 * The end-to-end promise: a real Alertmanager alert reaches ingest, becomes an incident, pages the L1
 * on-call engineer of the shipped klaxon.yaml by SMS, voice and email, and shows in the KPIs.
 */
export async function alertToPageToKpi(launch: Launch): Promise<void> {
  const [twilio, smtp] = await Promise.all([startFakeTwilio(), startSmtpSink()]);
  const ports: Ports = {
    INGEST_PORT: await freePort(),
    ESCALATION_PORT: await freePort(),
    PROJECTION_PORT: await freePort(),
  };
  const amToken = 'e2e-alertmanager-token-0001';
  const apiToken = 'e2e-api-token-000000000001';
  const klaxon = await launch(
    {
      KLAXON_HOST: '127.0.0.1',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      KLAXON_ALERTMANAGER_TOKEN: amToken,
      KLAXON_API_TOKEN: apiToken,
      TWILIO_ACCOUNT_SID: twilio.accountSid,
      TWILIO_AUTH_TOKEN: twilio.authToken,
      TWILIO_FROM: '+15550009999',
      TWILIO_API_URL: twilio.url,
      SMTP_URL: smtp.url,
      KLAXON_PUBLIC_URL: 'https://klaxon.example.com',
    },
    ports,
  );
  const alertmanager = await startAlertmanager(`http://127.0.0.1:${ports.INGEST_PORT}/api/v1/alertmanager`, amToken);
  try {
    for (const port of Object.values(ports)) await waitForHttp(`http://127.0.0.1:${port}/ready`);
    await alertmanager.addAlert(
      { alertname: 'CheckoutDown', service: 'checkout', severity: 'critical' },
      { summary: 'Checkout returns 500' },
    );

    const config = loadConfig(`${REPO_ROOT}/klaxon.yaml`, {});
    const onCall = onCallAt(config.schedules['primary-oncall']!, toInstant(new Date()));
    const contact = config.contacts[onCall]!;
    const deadline = Date.now() + 30_000;
    while (
      (twilio.messages().length === 0 || twilio.calls().length === 0 || smtp.mails.length === 0) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(twilio.messages()[0]).toMatchObject({
      To: contact.phone,
      From: '+15550009999',
      Body: expect.stringContaining('[P1] L1: Checkout returns 500 (checkout)'),
    });
    expect(twilio.calls()[0]).toMatchObject({ To: contact.phone });
    expect(smtp.mails[0]?.to && 'value' in smtp.mails[0].to ? smtp.mails[0].to.value[0]?.address : undefined).toBe(
      contact.email,
    );

    const auth = { headers: { authorization: `Bearer ${apiToken}` } };
    const incidents = (await (
      await fetch(`http://127.0.0.1:${ports.ESCALATION_PORT}/api/v1/incidents?status=open`, auth)
    ).json()) as { incidents: unknown[] };
    expect(incidents.incidents).toEqual([
      expect.objectContaining({ severity: 'P1', level: 'L1', assignees: [onCall], title: 'Checkout returns 500' }),
    ]);

    const kpis = async () =>
      (await (await fetch(`http://127.0.0.1:${ports.PROJECTION_PORT}/api/v1/kpis`, auth)).json()) as {
        incidents: { total: number; open: number; bySeverity: Record<string, number> };
        pagesPerIncident: number;
      };
    const kpiDeadline = Date.now() + 10_000;
    while ((await kpis()).incidents.total === 0 && Date.now() < kpiDeadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await kpis()).toMatchObject({
      incidents: { total: 1, open: 1, bySeverity: { P1: 1 } },
      pagesPerIncident: 3,
    });
  } finally {
    await alertmanager.stop();
    await klaxon.stop();
    await Promise.all([twilio.close(), smtp.close()]);
  }
}
