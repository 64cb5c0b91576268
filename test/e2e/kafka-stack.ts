import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { TEST_DATABASE_URL, tempDir } from '@klaxon/testing';
import { freePort, startService, waitForHttp, type RunningKlaxon } from './klaxon-process.ts';

export const WEBHOOK_TOKEN = 'kafka-e2e-webhook-token-01';
export const API_TOKEN = 'kafka-e2e-api-token-000001';

/** A database of its own, so the production schemas (`klaxon`, `klaxon_kpi`) start empty. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `klaxon_e2e_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A runbook with a 20-second P1 acknowledgement timeout, so a failover can be watched in real time, and
 * throttles wide enough that every page goes out on its own (storm bundling is tested elsewhere).
 */
export function quickRunbook(): { file: string; remove(): void } {
  const dir = tempDir('klaxon-kafka-config-');
  const file = dir.file('klaxon.yaml');
  writeFileSync(
    file,
    `severities:
  P1: { ackTimeout: 20s, escalateAfter: [1h], statusUpdateEvery: 1h, responseTarget: 15m, resolutionTarget: 4h }
  P2: { ackTimeout: 15m, escalateAfter: [], statusUpdateEvery: 1h, responseTarget: 1h, resolutionTarget: 8h }
  P3: { ackTimeout: 1h, escalateAfter: [], statusUpdateEvery: 4h, responseTarget: 4h, resolutionTarget: 3d }
  P4: { escalateAfter: [], statusUpdateEvery: 24h, responseTarget: 1d, resolutionTarget: 14d }
contacts:
  alice: { phone: "+15550100001" }
  tom:   { phone: "+15550100003" }
schedules: {}
policies:
  default:
    levels:
      L1: { targets: [contact:alice], channels: [sms] }
      L2: { targets: [contact:tom], channels: [sms] }
routes:
  - match: {}
    policy: default
integrations:
  webhooks: { token: ${WEBHOOK_TOKEN} }
api:
  tokens: [${API_TOKEN}]
throttle:
  sms: { every: 1s, burst: 100 }
`,
  );
  return { file, remove: () => dir.remove() };
}

/** One trigger through the events API; the answer's status and Retry-After. */
export async function trigger(ingestPort: number, dedupKey: string): Promise<{ status: number; retryAfter: string | null }> {
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
  const response = await fetch(`http://127.0.0.1:${escalationPort}/api/v1/incidents?limit=1000`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return ((await response.json()) as { incidents: IncidentSummary[] }).incidents;
}

export async function timeline(escalationPort: number, id: string): Promise<Array<{ type: string }>> {
  const response = await fetch(`http://127.0.0.1:${escalationPort}/api/v1/incidents/${id}`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  return ((await response.json()) as { timeline: Array<{ type: string }> }).timeline;
}

export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
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
    const exited = new Promise<never>((_, reject) => running.process.once('exit', (code) => reject(new Error(`exited with ${code}`))));
    exited.catch(() => undefined);
    await Promise.race([waitForHttp(`http://127.0.0.1:${port}/ready`, 60_000), exited]);
  } catch (error) {
    throw new Error(`${service} did not become ready: ${(error as Error).message}\n${running.output().split('\n').slice(-20).join('\n')}`);
  }
  return { process: running, port };
}
