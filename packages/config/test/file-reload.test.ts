import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileReload, parseConfig, reloadAnswer } from '../src/index.ts';

const config = (contact: string) => `
severities:
${['P1', 'P2', 'P3', 'P4'].map((p) => `  ${p}: { ackTimeout: 5m, escalateAfter: [30m, 1h, 2h], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }`).join('\n')}
contacts:
  ${contact}: { phone: "+15550100001" }
policies:
  default: { levels: { L1: { targets: [contact:${contact}], channels: [sms] } } }
routes:
  - { match: {}, policy: default }
`;

describe('reloading the configuration file (ingest and projection)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'klaxon-file-reload-'));
  const file = join(dir, 'klaxon.yaml');
  afterEach(() => rmSync(file, { force: true }));
  const logged: string[] = [];
  const logger = { info: (_: object, m: string) => logged.push(m), error: (_: object, m: string) => logged.push(m) };

  it('applies a good file in place and calls onApplied; refuses a bad one and keeps the running one; refuses without a file', () => {
    writeFileSync(file, config('alice'));
    const running = parseConfig(config('alice'), file, {});
    let applied = 0;
    const reload = fileReload({ config: running, file, env: {}, logger, onApplied: () => applied++ });

    writeFileSync(file, config('bob'));
    const good = reload('service:SIGHUP');
    expect(good).toMatchObject({
      ok: true,
      value: { changed: expect.arrayContaining(['contacts.alice', 'contacts.bob']) },
    });
    expect(Object.keys(running.contacts)).toEqual(['bob']);
    expect(applied).toBe(1);
    expect(reloadAnswer(good).status).toBe(200);

    writeFileSync(file, config('bob').replace('contact:bob', 'contact:nobody'));
    const bad = reload('service:SIGHUP');
    expect(bad.ok).toBe(false);
    expect(Object.keys(running.contacts)).toEqual(['bob']);
    expect(applied).toBe(1);
    expect(reloadAnswer(bad)).toMatchObject({ status: 400, body: { problems: [expect.anything()] } });
    expect(logged).toEqual(['configuration applied', 'configuration not reloaded; the running one stays']);

    const none = fileReload({ config: running, logger })('service:SIGHUP');
    expect(reloadAnswer(none).status).toBe(409);
  });
});
