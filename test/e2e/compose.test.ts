import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './klaxon-process.ts';

interface ComposeService {
  image?: string;
  build?: string | { context: string; args?: Record<string, string> };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
/** Variable names in the first column of the README's environment table. */
const documented = new Set(
  readme
    .slice(readme.indexOf('### Environment'))
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!)),
);
const KLAXON = { ingest: 'INGEST_PORT', escalation: 'ESCALATION_PORT', projection: 'PROJECTION_PORT' } as const;

describe('docker-compose.yml, checked without a Docker engine', () => {
  it('names the whole production stack, each service with an image or a build context that exists', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alertmanager', 'escalation', 'eventstore', 'ingest', 'kafka', 'mailpit', 'postgres', 'projection', 'prometheus']);
    for (const [name, service] of Object.entries(compose.services)) {
      const context = typeof service.build === 'string' ? service.build : service.build?.context;
      expect(service.image ?? context, `${name} has neither image nor build`).toBeTruthy();
      if (context) expect(existsSync(join(REPO_ROOT, context, 'Dockerfile')), `${name}: no Dockerfile in ${context}`).toBe(true);
    }
  });

  it('builds each Klaxon service from the one Dockerfile with its SERVICE, on its contract port', () => {
    for (const [name, portVariable] of Object.entries(KLAXON)) {
      const service = compose.services[name]!;
      expect(typeof service.build === 'object' && service.build.args?.SERVICE).toBe(name);
      const port = service.environment?.[portVariable];
      expect(port, `${name} sets ${portVariable}`).toBeDefined();
      expect(service.ports).toContain(`${port}:${port}`);
      expect(readme).toContain(`| \`INGEST_PORT\`, \`ESCALATION_PORT\`, \`PROJECTION_PORT\` | 8080, 8081, 8082 |`);
      expect(port).toBe({ ingest: '8080', escalation: '8081', projection: '8082' }[name]);
    }
  });

  it('uses only environment variables the README documents', () => {
    for (const name of Object.keys(KLAXON)) {
      for (const variable of Object.keys(compose.services[name]!.environment ?? {})) {
        expect(documented.has(variable), `${name}: ${variable} is not in the README environment table`).toBe(true);
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
    const ingestToken = compose.services.ingest!.environment!.KLAXON_ALERTMANAGER_TOKEN!;
    expect(ingestToken).toBe(`\${KLAXON_ALERTMANAGER_TOKEN:-${webhook.http_config.authorization.credentials}}`);
    const prometheus = parse(readFileSync(join(REPO_ROOT, 'infra/prometheus/prometheus.yml'), 'utf8'));
    expect(prometheus.scrape_configs[0].static_configs[0].targets).toEqual(['ingest:8080', 'escalation:8081', 'projection:8082']);
  });
});
