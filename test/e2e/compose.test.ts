import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig, shippedSecretsOf } from '@klaxon/config';
import { listenHost } from '@klaxon/service-kit';
import { alertmanagerAvailable, startAlertmanagerWithConfig, tempDir } from '@klaxon/testing';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT } from './klaxon-process.ts';

interface ComposeService {
  healthcheck?: { test: string[] };
  depends_on?: string[] | Record<string, { condition: string }>;
  secrets?: string[];
  image?: string;
  build?: string | { context: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  secrets: Record<string, { environment?: string; file?: string }>;
};
const composeText = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
// The environment table is reference material: it lives in docs/operations.md, which the README links to.
const operations = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
/** Variable names in the first column of the operations docs' environment table. */
const documented = new Set(
  operations
    .slice(operations.indexOf('## Environment'))
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!)),
);
/** Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, enough to read this file as the engine would. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    const value = env[name];
    if (value) return value;
    if (kind === '?') throw new Error(`required variable ${name} is missing a value: ${rest}`);
    return kind === '-' ? rest! : '';
  });
}
const KLAXON = { ingest: 'INGEST_PORT', escalation: 'ESCALATION_PORT', projection: 'PROJECTION_PORT' } as const;

describe('docker-compose.yml, checked without a Docker engine', () => {
  it('names the whole production stack, each service with an image or a build context that exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'alertmanager',
      'escalation',
      'eventstore',
      'ingest',
      'kafka',
      'mailpit',
      'postgres',
      'projection',
      'prometheus',
    ]);
    for (const [name, service] of Object.entries(compose.services)) {
      const context = typeof service.build === 'string' ? service.build : service.build?.context;
      expect(service.image ?? context, `${name} has neither image nor build`).toBeTruthy();
      if (context)
        expect(existsSync(join(REPO_ROOT, context, 'Dockerfile')), `${name}: no Dockerfile in ${context}`).toBe(true);
    }
  });

  it('builds each Klaxon service from the one Dockerfile with its SERVICE, on its contract port', () => {
    for (const [name, portVariable] of Object.entries(KLAXON)) {
      const service = compose.services[name]!;
      expect(typeof service.build === 'object' && service.build.args?.SERVICE).toBe(name);
      const port = service.environment?.[portVariable];
      expect(port, `${name} sets ${portVariable}`).toBeDefined();
      expect(service.ports).toContain(`${port}:${port}`);
      expect(operations).toContain(`| \`INGEST_PORT\`, \`ESCALATION_PORT\`, \`PROJECTION_PORT\` | 8080, 8081, 8082 |`);
      expect(port).toBe({ ingest: '8080', escalation: '8081', projection: '8082' }[name]);
    }
  });

  it('uses only environment variables the operations docs document', () => {
    for (const name of Object.keys(KLAXON)) {
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) {
        expect(
          documented.has(variable),
          `${name}: ${variable} is not in the environment table of docs/operations.md`,
        ).toBe(true);
      }
    }
  });

  it('mounts config files that exist, and points Alertmanager at ingest with the token ingest expects', () => {
    for (const service of Object.values(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(join(REPO_ROOT, source)), `${source} is missing`).toBe(true);
      }
    }
    const alertmanager = parse(readFileSync(join(REPO_ROOT, 'infra/alertmanager/alertmanager.yml'), 'utf8'));
    const webhook = alertmanager.receivers[0].webhook_configs[0];
    expect(webhook.url).toBe('http://ingest:8080/api/v1/alertmanager');
    // One value on both sides: ingest reads the variable (required, no shipped default), Alertmanager the
    // compose secret made from the same variable.
    expect(compose.services.ingest!.environment!.KLAXON_ALERTMANAGER_TOKEN).toMatch(
      /^\$\{KLAXON_ALERTMANAGER_TOKEN:\?/,
    );
    expect(webhook.http_config.authorization).toEqual({
      type: 'Bearer',
      credentials_file: '/run/secrets/alertmanager_token',
    });
    expect(compose.services.alertmanager!.secrets).toEqual(['alertmanager_token']);
    expect(compose.secrets.alertmanager_token).toEqual({ environment: 'KLAXON_ALERTMANAGER_TOKEN' });
    const prometheus = parse(readFileSync(join(REPO_ROOT, 'infra/prometheus/prometheus.yml'), 'utf8'));
    expect(prometheus.scrape_configs[0].static_configs[0].targets).toEqual([
      'ingest:8080',
      'escalation:8081',
      'projection:8082',
    ]);
  });

  it('refuses to start without real secrets: each one required, none with a shipped default', () => {
    const required = {
      ingest: ['KLAXON_ALERTMANAGER_TOKEN', 'KLAXON_WEBHOOK_TOKEN', 'KLAXON_API_TOKEN'],
      escalation: ['KLAXON_LINK_SECRET', 'KLAXON_API_TOKEN'],
      projection: ['KLAXON_API_TOKEN'],
    };
    for (const [name, variables] of Object.entries(required)) {
      for (const variable of variables)
        expect(compose.services[name]!.environment![variable], `${name}: ${variable}`).toMatch(
          new RegExp(`^\\$\\{${variable}:\\?.+\\}$`),
        );
    }
    expect(compose.services.postgres!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{KLAXON_POSTGRES_PASSWORD:\?/);
    expect(compose.services.projection!.environment!.DATABASE_URL).toContain('${KLAXON_POSTGRES_PASSWORD:?');
    // Compose's interpolation stops `docker compose up` at the first `${VAR:?…}` unset.
    expect(() => interpolate(composeText, {})).toThrow(/KLAXON_/);
    expect(composeText).not.toMatch(/change-me|:-[^}]*(token|secret|password)/i);
  });

  it('with real secrets set, each Klaxon service holds no shipped secret and listens on 0.0.0.0', () => {
    const secrets = Object.fromEntries(
      [
        'KLAXON_ALERTMANAGER_TOKEN',
        'KLAXON_WEBHOOK_TOKEN',
        'KLAXON_API_TOKEN',
        'KLAXON_LINK_SECRET',
        'KLAXON_POSTGRES_PASSWORD',
      ].map((v) => [v, `real-${v.toLowerCase()}-0123456789`]),
    );
    const running = parse(interpolate(composeText, secrets), { merge: true }) as typeof compose;
    const uses = { ingest: { integrations: true }, escalation: { api: true }, projection: { api: true } };
    for (const [name, use] of Object.entries(uses)) {
      const env = running.services[name]!.environment!;
      expect(env.KLAXON_HOST, `${name} sets no KLAXON_HOST`).toBeUndefined();
      expect(env.KLAXON_LINK_SECRET ?? '').not.toMatch(/^change-me/);
      const shipped = shippedSecretsOf(loadConfig(join(REPO_ROOT, 'klaxon.yaml'), env), use);
      expect(shipped, name).toEqual([]);
      expect(listenHost(env.KLAXON_HOST, shipped)).toMatchObject({ ok: true, host: '0.0.0.0' });
    }
  });

  it("keeps Kafka's log inside its volume, so accepted alerts outlive the container", () => {
    const kafka = compose.services.kafka!;
    const dir = kafka.environment!.KAFKA_LOG_DIRS;
    expect(dir).toBeDefined();
    expect(kafka.volumes?.map((v) => v.split(':')[1])).toContain(dir);
  });

  it('starts each service only once what it needs is healthy, and checks every one of them', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (name !== 'mailpit') expect(service.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
      const needs = service.depends_on ?? {};
      expect(Array.isArray(needs), `${name}: depends_on without conditions`).toBe(false);
      for (const [needed, { condition }] of Object.entries(needs as Record<string, { condition: string }>)) {
        expect(condition, `${name} → ${needed}`).toBe(
          compose.services[needed]!.healthcheck ? 'service_healthy' : 'service_started',
        );
      }
    }
    expect(compose.services.escalation!.depends_on).toMatchObject({
      kafka: { condition: 'service_healthy' },
      eventstore: { condition: 'service_healthy' },
    });
  });

  it.runIf(alertmanagerAvailable('the shipped Alertmanager configuration, run by a real Alertmanager'))(
    'the shipped Alertmanager configuration, run by a real Alertmanager, sends the token from the secret file',
    async () => {
      const token = `a-real-secret-${Math.random().toString(36).slice(2)}`;
      const dir = tempDir('klaxon-am-secret-');
      writeFileSync(dir.file('token'), token);
      const seen: string[] = [];
      const receiver = createServer((req, res) => {
        seen.push(req.headers.authorization ?? '');
        req.resume();
        req.on('end', () => res.writeHead(202).end());
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const port = (receiver.address() as { port: number }).port;
      const shipped = readFileSync(join(REPO_ROOT, 'infra/alertmanager/alertmanager.yml'), 'utf8');
      const local = shipped
        .replace('http://ingest:8080/api/v1/alertmanager', `http://127.0.0.1:${port}/api/v1/alertmanager`)
        .replace('/run/secrets/alertmanager_token', dir.file('token'))
        .replace(/group_wait: \S+/, 'group_wait: 0s');
      const alertmanager = await startAlertmanagerWithConfig(local);
      try {
        await alertmanager.addAlert({ alertname: 'SecretCheck', service: 'compose' });
        await vi.waitFor(() => expect(seen.length).toBeGreaterThan(0), { timeout: 20_000 });
        expect(seen[0]).toBe(`Bearer ${token}`);
      } finally {
        await alertmanager.stop();
        receiver.close();
        dir.remove();
      }
    },
  );
});
