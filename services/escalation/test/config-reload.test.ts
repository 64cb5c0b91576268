import { writeFileSync } from 'node:fs';
import { parseConfig } from '@klaxon/config';
import { RUNBOOK_SEVERITIES_YAML, tempDir } from '@klaxon/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { startEscalation, type Harness } from './support/escalation-harness.ts';
import { API_TOKEN } from './support/test-config.ts';

const ALICE = '+15550100001';
const TOM = '+15550100003';

/** The runbook's people; L1 of the catch-all route's policy is `l1`. */
const yaml = (l1: string) => `${RUNBOOK_SEVERITIES_YAML}contacts:
  alice: { phone: "${ALICE}" }
  tom:   { phone: "${TOM}" }
policies:
  default:
    levels:
      L1: { targets: [contact:${l1}], channels: [sms] }
routes:
  - { match: {}, policy: default }
integrations:
  alertmanager: { token: "am-token-0123456789abcdef" }
api:
  tokens: ["${API_TOKEN}"]
`;

describe('live configuration reload', () => {
  let h: Harness;
  const dir = tempDir('klaxon-reload-');
  afterEach(async () => h?.close());

  it('a broken file is refused with its problems and changes nothing; a good one routes the next alert at once and is recorded', async () => {
    const file = dir.file('klaxon.yaml');
    writeFileSync(file, yaml('alice'));
    h = await startEscalation({
      start: '2026-11-23T10:00:00Z',
      config: parseConfig(yaml('alice'), file, {}),
      configFile: file,
    });

    // Given a file that names a contact nobody has.
    writeFileSync(file, yaml('tomm'));
    const refused = await h.api('POST', '/-/reload');
    expect(refused).toMatchObject({
      status: 400,
      json: { problems: [{ path: 'policies.default.levels.L1.targets.0', message: 'unknown contact "tomm"' }] },
    });
    await h.alert({ alertname: 'OrdersDown', severity: 'critical' });
    expect(h.providers.twilio.messages().map((m) => m.To)).toEqual([ALICE]);
    expect((await h.store.readStream('config')).length).toBe(0);

    // When the file is fixed to page tom first, and reloaded: no restart.
    writeFileSync(file, yaml('tom'));
    const applied = await h.api('POST', '/-/reload');
    expect(applied).toMatchObject({
      status: 200,
      json: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), changed: ['policies.default'] },
    });
    await h.alert({ alertname: 'PaymentsDown', severity: 'critical' });
    expect(h.providers.twilio.messages().map((m) => m.To)).toEqual([ALICE, TOM]);
    expect((await h.store.readStream('config')).map((e) => [e.type, e.data])).toEqual([
      [
        'ConfigApplied',
        {
          sha256: applied.json.sha256,
          actor: { kind: 'service', name: 'api' },
          at: '2026-11-23T10:00:00.000Z',
          changed: ['policies.default'],
        },
      ],
    ]);
  });

  it('an instance started without a file refuses a reload', async () => {
    h = await startEscalation({ config: parseConfig(yaml('alice'), 'inline.yaml', {}) });
    expect((await h.api('POST', '/-/reload')).status).toBe(409);
  });
  it('a heartbeat a reload adds is armed and pages its miss; the next reload removes it, resolves the miss, and it misses no more', async () => {
    const file = dir.file('klaxon-heartbeats.yaml');
    const backup = 'heartbeats:\n  nightly-backup: { interval: 10m, grace: 5m, labels: { severity: critical } }\n';
    writeFileSync(file, yaml('alice'));
    h = await startEscalation({
      start: '2026-11-23T10:00:00Z',
      config: parseConfig(yaml('alice'), file, {}),
      configFile: file,
    });
    const monitors = async () =>
      (await h.api('GET', '/api/v1/heartbeats')).json as Array<{ name: string; state: string }>;
    const misses = async () =>
      ((await h.api('GET', '/api/v1/incidents')).json.incidents as Array<{ title: string; status: string }>).filter(
        (i) => i.title.includes('nightly-backup'),
      );
    const check = async (at: string) => {
      h.clock.set(at);
      await h.service.heartbeats.runDue();
      await h.service.drained();
    };

    // Given klaxon.yaml gains a heartbeat, reloaded at 10:00 without a restart.
    writeFileSync(file, yaml('alice') + backup);
    expect((await h.api('POST', '/-/reload')).json).toMatchObject({ changed: ['heartbeats.nightly-backup'] });
    expect(await monitors()).toMatchObject([{ name: 'nightly-backup', state: 'ok', source: 'config' }]);
    // When it never beats: 10:15 is its interval and grace, and it pages as any alert would.
    await check('2026-11-23T10:14:59Z');
    expect(await misses()).toEqual([]);
    await check('2026-11-23T10:15:00Z');
    expect(await misses()).toMatchObject([{ status: 'open' }]);
    expect(h.providers.twilio.messages().map((m) => m.To)).toEqual([ALICE]);

    // When the next reload takes it out again: the miss is resolved, and nothing misses after.
    writeFileSync(file, yaml('alice'));
    expect((await h.api('POST', '/-/reload')).json).toMatchObject({ changed: ['heartbeats.nightly-backup'] });
    await h.service.drained();
    expect(await monitors()).toEqual([]);
    expect(await misses()).toMatchObject([{ status: 'resolved' }]);
    await check('2026-11-23T12:00:00Z');
    expect(await misses()).toHaveLength(1);
  });
});
