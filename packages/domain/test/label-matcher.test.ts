import { describe, expect, it } from 'vitest';
import { compileMatcher } from '../src/index.ts';

const matcher = (spec: Record<string, string>) => {
  const result = compileMatcher(spec);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

describe('label matching for routes', () => {
  it('matches equal values', () => {
    expect(matcher({ service: 'bar-db' }).matches({ service: 'bar-db', severity: 'critical' })).toBe(true);
    expect(matcher({ service: 'bar-db' }).matches({ service: 'foo-db' })).toBe(false);
  });

  it('matches ~regex anchored at both ends, as Alertmanager does', () => {
    expect(matcher({ service: '~.*-db' }).matches({ service: 'bar-db' })).toBe(true);
    expect(matcher({ service: '~db' }).matches({ service: 'bar-db' })).toBe(false);
    expect(matcher({ category: '~security|data-loss' }).matches({ category: 'data-loss' })).toBe(true);
  });

  it('needs every label of the match block, and a missing label is the empty string', () => {
    expect(matcher({ service: 'bar-db', team: 'storage' }).matches({ service: 'bar-db' })).toBe(false);
    expect(matcher({ team: '~' }).matches({ service: 'bar-db' })).toBe(true);
  });

  it('an empty match block matches everything (the catch-all route)', () => {
    expect(matcher({}).matches({ anything: 'x' })).toBe(true);
  });

  it('refuses a regex that does not compile, naming the label', () => {
    const result = compileMatcher({ service: '~(unclosed' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.label).toBe('service');
  });
});
