import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/index.ts';

const withPeople = (contacts: string, api: string) => `
severities:
${['P1', 'P2', 'P3', 'P4'].map((p) => `  ${p}: { escalateAfter: [], statusUpdateEvery: 30m, responseTarget: 15m, resolutionTarget: 4h }`).join('\n')}
contacts:
${contacts}
policies:
  default: { levels: { L1: { targets: [contact:alice], channels: [sms] } } }
routes:
  - { match: {}, policy: default }
api:
${api}
`;
const problemsOf = (text: string) => {
  try {
    parseConfig(text, 'people.yaml', {});
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
};

describe('people and service tokens', () => {
  it('makes a contact a responder unless told otherwise', () => {
    const config = parseConfig(
      withPeople('  alice: { phone: "+15550100001" }\n  vic: { email: vic@example.com, role: viewer }', '  tokens: []'),
      'people.yaml',
      {},
    );
    expect(config.contacts.alice!.role).toBe('responder');
    expect(config.contacts.vic!.role).toBe('viewer');
  });

  it('reads a bare token as the admin service `api`, as every file before roles meant it', () => {
    const config = parseConfig(
      withPeople(
        '  alice: { phone: "+15550100001" }',
        '  tokens:\n    - "shared-token-0123456789"\n    - { name: grafana, token: "grafana-token-0123456789", role: viewer }',
      ),
      'people.yaml',
      {},
    );
    expect(config.api.tokens).toEqual([
      { name: 'api', token: 'shared-token-0123456789', role: 'admin' },
      { name: 'grafana', token: 'grafana-token-0123456789', role: 'viewer' },
    ]);
  });

  it('refuses an unknown role, a short service token and one that looks like a personal token', () => {
    expect(problemsOf(withPeople('  alice: { phone: "+15550100001", role: owner }', '  tokens: []'))).toEqual([
      expect.objectContaining({ path: 'contacts.alice.role' }),
    ]);
    const tokens = problemsOf(
      withPeople(
        '  alice: { phone: "+15550100001" }',
        '  tokens:\n    - { name: a, token: short, role: admin }\n    - { name: b, token: "kx_0123456789abcdefghij", role: admin }',
      ),
    );
    expect(tokens.map((p) => p.path)).toEqual(['api.tokens.0.token', 'api.tokens.1.token']);
  });
});
