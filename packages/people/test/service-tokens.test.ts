import { describe, expect, it } from 'vitest';
import { serviceTokens } from '../src/service-tokens.ts';

describe('service tokens across a configuration reload', () => {
  it('follows the tokens where a reload changed them: a removed token stops, a moved one keeps its own role', () => {
    const tokens = [
      { name: 'api', token: 'admin-token-0123456789', role: 'admin' as const },
      { name: 'grafana', token: 'viewer-token-0123456789', role: 'viewer' as const },
    ];
    const find = serviceTokens(tokens);
    expect(find('admin-token-0123456789')).toMatchObject({ name: 'api', role: 'admin' });
    // A reload puts the next file's tokens into the same array (applyConfigInPlace): the admin token is
    // gone and the viewer's is first now. Matched by stale position, the viewer's would read as the admin's.
    tokens.splice(0, tokens.length, { name: 'grafana', token: 'viewer-token-0123456789', role: 'viewer' });
    expect(find('admin-token-0123456789')).toBeUndefined();
    expect(find('viewer-token-0123456789')).toEqual({ kind: 'service', name: 'grafana', role: 'viewer' });
  });
});
