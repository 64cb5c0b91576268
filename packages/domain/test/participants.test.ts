import { describe, expect, it } from 'vitest';
import { participantOf } from '../src/index.ts';

describe('who took part in an incident, from authenticated actors', () => {
  it('counts the person who acted, by token, session, one-tap link or phone', () => {
    expect(participantOf({ by: 'alice', actor: { kind: 'person', name: 'alice' } })).toBe('alice');
    expect(participantOf({ by: 'bob', actor: { kind: 'phone', name: 'bob' } })).toBe('bob');
  });

  it('counts the person an admin acted for, not the admin', () => {
    expect(participantOf({ by: 'alice', actor: { kind: 'service', name: 'api' }, onBehalfOf: 'alice' })).toBe('alice');
    expect(participantOf({ by: 'tom', actor: { kind: 'person', name: 'ada' }, onBehalfOf: 'tom' })).toBe('tom');
  });

  it('counts no one for a script or an integration acting on its own', () => {
    expect(participantOf({ by: 'api', actor: { kind: 'service', name: 'api' } })).toBeUndefined();
    expect(
      participantOf({ by: 'integration:alertmanager', actor: { kind: 'integration', name: 'alertmanager' } }),
    ).toBeUndefined();
  });

  it('counts the name a fact written before actors carries', () => {
    expect(participantOf({ by: 'alice' })).toBe('alice');
  });
});
