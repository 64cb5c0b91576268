import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type KlaxonConfig } from '@klaxon/config';
import { openSqliteEventStore, type EventStore } from '@klaxon/event-store';
import { RUNBOOK_SEVERITIES_YAML, tempDir, VirtualClock, type TempDir } from '@klaxon/testing';
import { authenticator, DEFAULT_TOKEN_TTL_MS, PersonalTokens } from '../src/index.ts';

const config = (): KlaxonConfig =>
  parseConfig(
    `${RUNBOOK_SEVERITIES_YAML}contacts:
  alice: { email: alice@example.com }
  vic: { email: vic@example.com, role: viewer }
policies:
  default: { levels: { L1: { targets: [contact:alice], channels: [email] } } }
routes: [{ match: {}, policy: default }]
api:
  tokens:
    - "shared-token-0123456789"
    - { name: grafana, token: "grafana-token-0123456789", role: viewer }
`,
    'people.yaml',
    {},
  );

describe('authenticating a request', () => {
  let dir: TempDir;
  let store: EventStore;
  let tokens: PersonalTokens;
  const clock = new VirtualClock('2026-12-01T10:00:00Z');
  const admin = { kind: 'service' as const, name: 'api' };
  const start = async () => {
    dir = tempDir('klaxon-people-');
    store = openSqliteEventStore(dir.file('events.db'), { pollMs: 10 });
    tokens = new PersonalTokens(store, clock, pino({ level: 'silent' }));
    await tokens.start();
  };
  afterEach(async () => {
    await tokens.stop();
    await store.close();
    dir.remove();
  });

  it('knows service tokens by name and role, and people by their token and their role in contacts', async () => {
    await start();
    const auth = authenticator(config(), tokens);
    const { token } = await tokens.create('vic', 'laptop', DEFAULT_TOKEN_TTL_MS, admin);
    expect(await auth.authenticate('Bearer shared-token-0123456789')).toEqual({
      kind: 'service',
      name: 'api',
      role: 'admin',
    });
    expect(await auth.authenticate('Bearer grafana-token-0123456789')).toMatchObject({
      name: 'grafana',
      role: 'viewer',
    });
    expect(await auth.authenticate(`Bearer ${token}`)).toMatchObject({ kind: 'person', name: 'vic', role: 'viewer' });
    expect(await auth.authenticate(undefined)).toBeUndefined();
    expect(await auth.authenticate(`Bearer ${token}x`)).toBeUndefined();
    expect(await auth.authenticate('Bearer kx_not-a-token')).toBeUndefined();
  });

  it('refuses the token of a person taken out of contacts', async () => {
    await start();
    const { token } = await tokens.create('vic', 'laptop', DEFAULT_TOKEN_TTL_MS, admin);
    const without = config();
    delete without.contacts.vic;
    expect(await authenticator(without, tokens).authenticate(`Bearer ${token}`)).toBeUndefined();
  });
});
