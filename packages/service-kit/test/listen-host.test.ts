import { describe, expect, it } from 'vitest';
import { listenHost, readEnv } from '../src/index.ts';

const shipped = [{ setting: 'api.tokens.0', variable: 'KLAXON_API_TOKEN' }, { setting: 'KLAXON_LINK_SECRET' }];

describe('where a service listens', () => {
  it('without KLAXON_HOST: every address with real secrets, loopback only with a shipped one, saying what to set', () => {
    expect(readEnv({}).KLAXON_HOST).toBeUndefined();
    expect(listenHost(undefined, [])).toEqual({ ok: true, host: '0.0.0.0', loopbackOnly: false });
    const decided = listenHost(undefined, shipped);
    expect(decided).toMatchObject({ ok: true, host: '127.0.0.1', loopbackOnly: true });
    expect(decided.ok && decided.message).toContain('set KLAXON_API_TOKEN (api.tokens.0), KLAXON_LINK_SECRET');
  });

  it('a loopback KLAXON_HOST is kept with shipped secrets; any other is refused, listing the variables', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', 'localhost'])
      expect(listenHost(host, shipped)).toMatchObject({ ok: true, host, loopbackOnly: true });
    for (const host of ['0.0.0.0', '::', '192.0.2.7', 'klaxon.example.com']) {
      const refused = listenHost(host, shipped);
      expect(refused.ok).toBe(false);
      expect(!refused.ok && refused.error).toContain(`KLAXON_HOST=${host} is refused`);
      expect(!refused.ok && refused.error).toContain('Set KLAXON_API_TOKEN (api.tokens.0), KLAXON_LINK_SECRET');
    }
    expect(listenHost('192.0.2.7', [])).toEqual({ ok: true, host: '192.0.2.7', loopbackOnly: false });
  });
});
