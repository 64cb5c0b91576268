import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig, shippedSecretsOf, shippedTokensInUse } from '../src/index.ts';

const shipped = fileURLToPath(new URL('../../../klaxon.yaml', import.meta.url));
const problems = (text: string, env: NodeJS.ProcessEnv = {}) => {
  try {
    parseConfig(text, 'bad.yaml', env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
};
const minimal = (extra = '') => `
severities:
${['P1', 'P2', 'P3', 'P4'].map((p) => `  ${p}: { ackTimeout: 5m, escalateAfter: [30m, 1h, 2h], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }`).join('\n')}
contacts:
  alice: { phone: "+15550100001" }
policies:
  default: { levels: { L1: { targets: [contact:alice], channels: [sms] } } }
routes:
  - { match: {}, policy: default }
${extra}`;

describe('the shipped klaxon.yaml', () => {
  it('is valid and holds the runbook: P1 L2/L3/L4 after 30 min, 1 h, 2 h; P2 after 2 h, 4 h; P3 and P4 never escalate by time', () => {
    const config = loadConfig(shipped, {});
    expect(config.severities.P1.escalateAfter).toEqual([30 * 60_000, 60 * 60_000, 120 * 60_000]);
    expect(config.severities.P2.escalateAfter).toEqual([2 * 3_600_000, 4 * 3_600_000]);
    expect(config.severities.P3.escalateAfter).toEqual([]);
    expect(config.severities.P4.escalateAfter).toEqual([]);
    expect(config.severities.P4).not.toHaveProperty('ackTimeout');
    expect(Object.keys(config.policies.default!.levels)).toEqual(['L1', 'L2', 'L3', 'L4']);
    expect(config.routes.at(-1)).toMatchObject({ match: {}, policy: 'default' });
    expect(config.rules).toContainEqual({ match: { category: '~security|security-breach' }, escalateTo: 'L3' });
  });

  it('takes tokens from the environment when they are set, and names those still at their shipped value', () => {
    expect(shippedTokensInUse(loadConfig(shipped, {}))).toEqual([
      'integrations.alertmanager.token',
      'integrations.webhooks.token',
      'api.tokens.0',
    ]);
    const config = loadConfig(shipped, { KLAXON_ALERTMANAGER_TOKEN: 'from-the-environment-123' });
    expect(config.integrations.alertmanager?.token).toBe('from-the-environment-123');
    expect(shippedTokensInUse(config)).toEqual(['integrations.webhooks.token', 'api.tokens.0']);
  });

  it('names, per service, the shipped tokens it uses and the variable that replaces each', () => {
    const config = loadConfig(shipped, { KLAXON_ALERTMANAGER_TOKEN: 'from-the-environment-123' });
    expect(shippedSecretsOf(config, { integrations: true })).toEqual([
      { setting: 'integrations.webhooks.token', variable: 'KLAXON_WEBHOOK_TOKEN' },
    ]);
    expect(shippedSecretsOf(config, { api: true })).toEqual([
      { setting: 'api.tokens.0', variable: 'KLAXON_API_TOKEN' },
    ]);
    // Written into a file of one's own, the setting is named without a variable.
    expect(
      shippedSecretsOf(parseConfig(minimal('api: { tokens: [change-me-literally-0001] }'), 'x.yaml', {}), {
        api: true,
      }),
    ).toEqual([{ setting: 'api.tokens.0' }]);
  });
});

describe('severities that escalate less than P1', () => {
  it('accepts zero to three growing delays, and no ack timeout', () => {
    const config = parseConfig(
      minimal()
        .replace(
          /P2: \{ ackTimeout: 5m, escalateAfter: \[30m, 1h, 2h\]/,
          'P2: { ackTimeout: 15m, escalateAfter: [30m, 2h]',
        )
        .replace(/P3: \{ ackTimeout: 5m, escalateAfter: \[30m, 1h, 2h\]/, 'P3: { ackTimeout: 1h, escalateAfter: []')
        .replace(/P4: \{ ackTimeout: 5m, escalateAfter: \[30m, 1h, 2h\]/, 'P4: { escalateAfter: []'),
      'runbook.yaml',
      {},
    );
    expect(config.severities.P2.escalateAfter).toEqual([30 * 60_000, 2 * 3_600_000]);
    expect(config.severities.P3).toMatchObject({ ackTimeout: 3_600_000, escalateAfter: [] });
    expect(config.severities.P4.ackTimeout).toBeUndefined();
  });
});

describe('the throttle per contact and channel', () => {
  it('defaults to one SMS and one call a minute after a small burst, and takes other figures per channel', () => {
    expect(parseConfig(minimal(), 'min.yaml', {}).throttle).toEqual({
      sms: { every: 60_000, burst: 3 },
      voice: { every: 60_000, burst: 2 },
      email: { every: 60_000, burst: 3 },
      push: { every: 60_000, burst: 3 },
    });
    const custom = parseConfig(
      minimal('throttle: { sms: { every: 5m, burst: 1 }, email: { burst: 10 } }'),
      'custom.yaml',
      {},
    );
    expect(custom.throttle).toEqual({
      sms: { every: 300_000, burst: 1 },
      voice: { every: 60_000, burst: 2 },
      email: { every: 60_000, burst: 10 },
      push: { every: 60_000, burst: 3 },
    });
    expect(problems(minimal('throttle: { sms: { burst: 0 } }'))).toContainEqual({
      path: 'throttle.sms.burst',
      message: expect.stringContaining('>=1'),
    });
  });
});

describe('a configuration that cannot be used is refused with the path and the reason', () => {
  it('a bad duration', () => {
    expect(problems(minimal().replace('ackTimeout: 5m', 'ackTimeout: 5 minutes'))).toContainEqual({
      path: 'severities.P1.ackTimeout',
      message: expect.stringContaining('"5 minutes" is not a duration'),
    });
  });

  it('more than three escalation delays', () => {
    expect(
      problems(minimal().replace('escalateAfter: [30m, 1h, 2h]', 'escalateAfter: [30m, 1h, 2h, 4h]')),
    ).toContainEqual({
      path: 'severities.P1.escalateAfter',
      message: 'at most three delays: for L2, L3 and L4',
    });
  });

  it('escalation delays that do not grow', () => {
    expect(problems(minimal().replace('escalateAfter: [30m, 1h, 2h]', 'escalateAfter: [1h, 1h]'))).toContainEqual({
      path: 'severities.P1.escalateAfter',
      message: 'delays must grow: L2 < L3 < L4',
    });
    expect(problems(minimal().replace('escalateAfter: [30m, 1h, 2h]', 'escalateAfter: [1h, 30m, 2h]'))).toContainEqual({
      path: 'severities.P1.escalateAfter',
      message: 'delays must grow: L2 < L3 < L4',
    });
  });

  it('an unknown contact in a policy, and an unknown policy in a route', () => {
    const found = problems(
      minimal().replace('contact:alice', 'contact:alicia').replace('policy: default }', 'policy: nightly }'),
    );
    expect(found).toContainEqual({ path: 'policies.default.levels.L1.targets.0', message: 'unknown contact "alicia"' });
    expect(found).toContainEqual({ path: 'routes.0.policy', message: 'unknown policy "nightly"' });
  });

  it('an unknown top-level key, a bad time zone, a bad regex, a missing environment variable', () => {
    expect(problems(minimal('escalations: {}'))).toContainEqual({
      path: '',
      message: expect.stringContaining('escalations'),
    });
    expect(
      problems(minimal().replace('{ phone: "+15550100001" }', '{ phone: "+15550100001", timezone: Mars/Olympus }')),
    ).toContainEqual({
      path: 'contacts.alice.timezone',
      message: '"Mars/Olympus" is not an IANA time zone',
    });
    expect(problems(minimal('rules: [{ match: { service: "~(db" }, escalateTo: L3 }]'))[0]?.path).toBe(
      'rules.0.match.service',
    );
    expect(problems(minimal('integrations: { am: { token: "${AM_TOKEN}" } }'))).toContainEqual({
      path: 'integrations.am.token',
      message: 'environment variable AM_TOKEN is not set',
    });
  });

  it('YAML that does not parse, with its line', () => {
    expect(problems('severities: [unclosed')[0]?.path).toMatch(/^line \d+/);
  });

  it('a file that is not there', () => {
    expect(() => loadConfig('/nonexistent/klaxon.yaml')).toThrow(/cannot read the file/);
  });
});
