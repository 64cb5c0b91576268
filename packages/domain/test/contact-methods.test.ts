import { describe, expect, it } from 'vitest';
import {
  CODE_ATTEMPTS,
  contactMethodsOf,
  decideContactMethods,
  evolveContactMethods,
  type ContactMethodCommand,
  type ContactMethodEvent,
  type ContactMethodsState,
} from '../src/index.ts';

const alice = { kind: 'person' as const, name: 'alice' };
const at = (hhmm: string) => `2026-12-01T${hhmm}:00.000Z`;

/** given(events).when(command): the events it leads to, or the error; the state after them. */
function given(events: ContactMethodEvent[]) {
  return {
    when(command: ContactMethodCommand) {
      const decision = decideContactMethods(command, contactMethodsOf(events));
      const recorded = decision.ok ? decision.value : decision.error.code === 'WrongCode' ? decision.error.record : [];
      const after: ContactMethodsState = recorded.reduce(evolveContactMethods, contactMethodsOf(events));
      return { decision, after };
    },
  };
}

const added: ContactMethodEvent = {
  type: 'ContactMethodAdded',
  data: { methodId: 'm1', methodType: 'sms', to: '+15550109999', at: at('10:00'), actor: alice },
};
const codeSent: ContactMethodEvent = {
  type: 'ContactMethodCodeSent',
  data: { methodId: 'm1', codeHash: 'hash-of-123456', expiresAt: at('10:11'), at: at('10:01') },
};
const confirm = (hash: string, when: string): ContactMethodCommand => ({
  type: 'ConfirmCode',
  methodId: 'm1',
  codeHash: hash,
  at: at(when),
});

describe("a person's contact methods and their verification", () => {
  it('given alice added her second phone at 10:00, it is not verified until she confirms a code', () => {
    const { after } = given([]).when({
      type: 'AddMethod',
      methodId: 'm1',
      methodType: 'sms',
      to: '+15550109999',
      actor: alice,
      at: at('10:00'),
    });
    expect(after.m1).toMatchObject({ type: 'sms', to: '+15550109999' });
    expect(after.m1!.verifiedAt).toBeUndefined();
  });

  it('given a code sent at 10:01, when she types it back at 10:05, then the method is verified', () => {
    const { decision, after } = given([added, codeSent]).when(confirm('hash-of-123456', '10:05'));
    expect(decision).toEqual({
      ok: true,
      value: [{ type: 'ContactMethodVerified', data: { methodId: 'm1', at: at('10:05') } }],
    });
    expect(after.m1).toMatchObject({ verifiedAt: at('10:05') });
    expect(after.m1!.code).toBeUndefined();
  });

  it('given a code sent at 10:01 (good for ten minutes), when she types it at 10:11, then it has expired', () => {
    const { decision, after } = given([added, codeSent]).when(confirm('hash-of-123456', '10:11'));
    expect(decision).toEqual({ ok: false, error: { code: 'CodeExpired', methodId: 'm1' } });
    expect(after.m1!.verifiedAt).toBeUndefined();
  });

  it('a wrong code is recorded, and after five wrong codes even the right one is refused until a new code is sent', () => {
    let events: ContactMethodEvent[] = [added, codeSent];
    for (let i = 1; i <= CODE_ATTEMPTS; i++) {
      const { decision } = given(events).when(confirm('hash-of-000000', '10:02'));
      expect(decision).toMatchObject({ ok: false, error: { code: 'WrongCode', attemptsLeft: CODE_ATTEMPTS - i } });
      if (!decision.ok && decision.error.code === 'WrongCode') events = [...events, ...decision.error.record];
    }
    expect(given(events).when(confirm('hash-of-123456', '10:03')).decision).toEqual({
      ok: false,
      error: { code: 'TooManyAttempts', methodId: 'm1' },
    });
    const resent: ContactMethodEvent = {
      type: 'ContactMethodCodeSent',
      data: { methodId: 'm1', codeHash: 'hash-of-654321', expiresAt: at('10:14'), at: at('10:04') },
    };
    expect(given([...events, resent]).when(confirm('hash-of-654321', '10:05')).decision.ok).toBe(true);
  });

  it('without a code sent there is nothing to confirm; a verified method needs no code; a removed method is gone', () => {
    expect(given([added]).when(confirm('x', '10:02')).decision).toMatchObject({ error: { code: 'NoCodeSent' } });
    const verified: ContactMethodEvent = { type: 'ContactMethodVerified', data: { methodId: 'm1', at: at('10:05') } };
    expect(
      given([added, codeSent, verified]).when({ type: 'SendCode', methodId: 'm1', codeHash: 'h', at: at('10:06') })
        .decision,
    ).toMatchObject({ error: { code: 'AlreadyVerified' } });
    const { after } = given([added, codeSent, verified]).when({
      type: 'RemoveMethod',
      methodId: 'm1',
      actor: alice,
      at: at('10:07'),
    });
    expect(after).toEqual({});
  });
});
