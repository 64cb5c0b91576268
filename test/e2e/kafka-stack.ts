import { writeFileSync } from 'node:fs';
import { freshDatabase, startFakeTwilio, tempDir, type FakeTwilio } from '@klaxon/testing';
import { expect } from 'vitest';
import { freePort, startService, waitForReady, type RunningKlaxon } from './klaxon-process.ts';
import { quickRunbookYaml } from './quick-runbook.ts';

export const WEBHOOK_TOKEN = 'kafka-e2e-webhook-token-01';
export const API_TOKEN = 'kafka-e2e-api-token-000001';

/** The quick runbook with a 20-second acknowledgement timeout, in a file of its own. */
export function quickRunbook(): { file: string; remove(): void } {
  const dir = tempDir('klaxon-kafka-config-');
  const file = dir.file('klaxon.yaml');
  writeFileSync(file, quickRunbookYaml({ ackTimeout: '20s', webhookToken: WEBHOOK_TOKEN, apiToken: API_TOKEN }));
  return { file, remove: () => dir.remove() };
}

/** One trigger through the events API; the answer's status and Retry-After. */
export async function trigger(
  ingestPort: number,
  dedupKey: string,
): Promise<{ status: number; retryAfter: string | null }> {
  try {
    const response = await fetch(`http://127.0.0.1:${ingestPort}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        routing_key: WEBHOOK_TOKEN,
        event_action: 'trigger',
        dedup_key: dedupKey,
        payload: { summary: `alert ${dedupKey}`, source: 'e2e', severity: 'critical' },
      }),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, retryAfter: response.headers.get('retry-after') };
  } catch {
    return { status: 0, retryAfter: null };
  }
}

export interface IncidentSummary {
  id: string;
  number: number;
  title: string;
  status: string;
  level: string;
}

export async function incidents(escalationPort: number): Promise<IncidentSummary[]> {
  const response = await fetch(`http://127.0.0.1:${escalationPort}/api/v1/incidents?limit=1000`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  return ((await response.json()) as { incidents: IncidentSummary[] }).incidents;
}

export async function timeline(escalationPort: number, id: string): Promise<Array<{ type: string }>> {
  const response = await fetch(`http://127.0.0.1:${escalationPort}/api/v1/incidents/${id}`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
  });
  return ((await response.json()) as { timeline: Array<{ type: string }> }).timeline;
}

/**
 * Per incident, the provider ids (Twilio SIDs) of its deliveries at `level` to `contact`, from its timeline.
 * Pages to one person that fall due together go out as one SMS (a bundle): each incident of it records its
 * own delivery with the bundle's SID, so pages are counted per incident here, not per SMS.
 */
export async function deliveries(
  escalationPort: number,
  incidentIds: string[],
  level: number,
  contact: string,
): Promise<Map<string, string[]>> {
  const byIncident = new Map<string, string[]>();
  for (const id of incidentIds) {
    const entries = (await timeline(escalationPort, id)) as Array<{
      type: string;
      pageId?: string;
      level?: number;
      contact?: string;
      providerId?: string;
    }>;
    const pages = new Set(
      entries
        .filter((e) => e.type === 'PageRequested' && e.level === level && e.contact === contact)
        .map((e) => e.pageId),
    );
    byIncident.set(
      id,
      entries.filter((e) => e.type === 'PageDelivered' && pages.has(e.pageId)).map((e) => e.providerId!),
    );
  }
  return byIncident;
}

/**
 * Nothing lost, nothing doubled: every incident delivered once at that level, and every SMS the provider took
 * for that phone is one of those deliveries (a page sent twice would be an SMS no delivery accounts for).
 */
export function expectEachPagedOnce(delivered: Map<string, string[]>, twilio: FakeTwilio, phone: string): void {
  for (const [id, sids] of delivered) expect(sids, `deliveries of incident ${id}`).toHaveLength(1);
  const sent = twilio.requests.filter((r) => r.resource === 'Messages' && r.params.To === phone).map((r) => r.sid);
  expect(sent.sort()).toEqual([...new Set([...delivered.values()].flat())].sort());
}

export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts a service on a free port and waits for its /ready. */
export async function startReady(
  service: 'ingest' | 'escalation' | 'projection',
  env: Record<string, string>,
): Promise<{ process: RunningKlaxon; port: number }> {
  const port = await freePort();
  const variable = { ingest: 'INGEST_PORT', escalation: 'ESCALATION_PORT', projection: 'PROJECTION_PORT' }[service];
  const running = startService(service, { ...env, [variable]: String(port), KLAXON_HOST: '127.0.0.1' });
  try {
    await waitForReady(running, [`http://127.0.0.1:${port}/ready`], 60_000);
  } catch (error) {
    throw new Error(`${service} did not become ready: ${(error as Error).message}`, { cause: error });
  }
  return { process: running, port };
}

/**
 * What every fault test here starts from: a database of its own, the quick runbook, a Twilio-shaped server,
 * and the environment that points the services at them and at the broker.
 */
export async function faultStack(brokers: string[], extra: Record<string, string> = {}) {
  const database = await freshDatabase();
  const config = quickRunbook();
  const twilio = await startFakeTwilio();
  const env = {
    DATABASE_URL: database.url,
    KAFKA_BROKERS: brokers.join(','),
    // One for every instance: links signed by one verify on the others.
    KLAXON_LINK_SECRET: 'kafka-fault-link-secret-0000000001',
    KLAXON_CONFIG: config.file,
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: twilio.authToken,
    TWILIO_FROM: '+15550009999',
    TWILIO_API_URL: twilio.url,
    ...extra,
  };
  return {
    env,
    twilio,
    async remove() {
      await twilio.close();
      await database.drop();
      config.remove();
    },
  };
}
