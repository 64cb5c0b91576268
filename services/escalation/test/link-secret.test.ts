import { tempDir } from '@klaxon/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ackLinks } from '../src/acks/ack-links.ts';
import { linkSecret } from '../src/link-secret.ts';

describe('the secret that signs acknowledgement links', () => {
  const dirs = [tempDir('klaxon-link-a-'), tempDir('klaxon-link-b-')];
  afterAll(() => dirs.forEach((d) => d.remove()));
  const now = new Date('2026-12-06T03:00:00Z');

  it('on the embedded default, is made once under the data dir and kept across restarts', () => {
    const first = linkSecret({ KLAXON_DATA_DIR: dirs[0]!.path });
    expect(first.ok).toBe(true);
    expect(linkSecret({ KLAXON_DATA_DIR: dirs[0]!.path })).toEqual(first);
  });

  it.each(['DATABASE_URL', 'ESDB_CONNECTION_STRING', 'KAFKA_BROKERS'] as const)(
    'with %s (instances that may share one store), must be given: none is made, and the reason says so',
    (variable) => {
      const found = linkSecret({ KLAXON_DATA_DIR: dirs[1]!.path, [variable]: 'somewhere:1' });
      expect(found).toEqual({
        ok: false,
        error: expect.stringContaining(`KLAXON_LINK_SECRET is not set, and ${variable}`),
      });
    },
  );

  it('given once to every instance, a link one of them signs is good on the other', () => {
    const env = (dir: number) => ({
      KLAXON_DATA_DIR: dirs[dir]!.path,
      KAFKA_BROKERS: 'kafka:9092',
      KLAXON_LINK_SECRET: 'one-secret-for-every-instance-01',
    });
    const [a, b] = [linkSecret(env(0)), linkSecret(env(1))];
    if (!a.ok || !b.ok) throw new Error('expected both instances to have the secret');
    const link = ackLinks(a.secret).issue('f38528c7f08e-1', 'alice', now);
    expect(ackLinks(b.secret).verify(link, now)).toMatchObject({ ok: true, incidentId: 'f38528c7f08e-1' });
  });
});
