import { z } from 'zod';
import { err, ok, type Result } from '../result.ts';
import { addMs, instantMs, type Instant } from '../time/instant.ts';
import { actorSchema, type Actor } from './actor.ts';

const instant = z.string().datetime({ offset: true });

export const METHOD_TYPES = ['sms', 'voice', 'email', 'push'] as const;
export const methodTypeSchema = z.enum(METHOD_TYPES);
export type MethodType = z.infer<typeof methodTypeSchema>;

/** A verification code is good for this long after it is sent… */
export const CODE_TTL_MS = 10 * 60_000;
/** …and for this many wrong guesses; then a new one must be asked for. */
export const CODE_ATTEMPTS = 5;

/**
 * Contact methods a person added themselves, in their stream `person-<name>` beside their tokens. A code
 * is kept only as its keyed hash; the person proves the address is theirs by typing the code back.
 */
export const contactMethodEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('ContactMethodAdded'),
    data: z.object({
      methodId: z.string().min(1),
      methodType: methodTypeSchema,
      to: z.string().min(1),
      at: instant,
      actor: actorSchema,
    }),
  }),
  z.object({
    type: z.literal('ContactMethodCodeSent'),
    data: z.object({ methodId: z.string(), codeHash: z.string().min(1), expiresAt: instant, at: instant }),
  }),
  z.object({ type: z.literal('ContactMethodCodeRejected'), data: z.object({ methodId: z.string(), at: instant }) }),
  z.object({ type: z.literal('ContactMethodVerified'), data: z.object({ methodId: z.string(), at: instant }) }),
  z.object({
    type: z.literal('ContactMethodRemoved'),
    data: z.object({ methodId: z.string(), at: instant, actor: actorSchema }),
  }),
]);
export type ContactMethodEvent = z.infer<typeof contactMethodEventSchema>;
export const CONTACT_METHOD_EVENT_TYPES: ReadonlySet<string> = new Set(
  contactMethodEventSchema.options.map((o) => o.shape.type.value),
);

export interface AddedMethod {
  id: string;
  type: MethodType;
  to: string;
  addedAt: Instant;
  verifiedAt?: Instant;
  code?: { hash: string; expiresAt: Instant; wrongGuesses: number };
}

/** A person's added methods by id; removed ones are gone. */
export type ContactMethodsState = Record<string, AddedMethod>;

export const initialContactMethods = (): ContactMethodsState => ({});

export type ContactMethodCommand =
  | { type: 'AddMethod'; methodId: string; methodType: MethodType; to: string; actor: Actor; at: Instant }
  | { type: 'SendCode'; methodId: string; codeHash: string; at: Instant }
  | { type: 'ConfirmCode'; methodId: string; codeHash: string; at: Instant }
  | { type: 'RemoveMethod'; methodId: string; actor: Actor; at: Instant };

export type ContactMethodError =
  | { code: 'UnknownMethod'; methodId: string }
  | { code: 'MethodExists'; methodId: string }
  | { code: 'AlreadyVerified'; methodId: string }
  | { code: 'NoCodeSent'; methodId: string }
  | { code: 'CodeExpired'; methodId: string }
  | { code: 'TooManyAttempts'; methodId: string }
  /** `record`: the rejection, to append all the same, so the attempts limit holds across instances and restarts. */
  | { code: 'WrongCode'; methodId: string; attemptsLeft: number; record: ContactMethodEvent[] };

/** What a command on a person's methods leads to. */
export function decideContactMethods(
  command: ContactMethodCommand,
  state: ContactMethodsState,
): Result<ContactMethodEvent[], ContactMethodError> {
  const method = state[command.methodId];
  switch (command.type) {
    case 'AddMethod':
      if (method) return err({ code: 'MethodExists', methodId: command.methodId });
      return ok([
        {
          type: 'ContactMethodAdded',
          data: {
            methodId: command.methodId,
            methodType: command.methodType,
            to: command.to,
            at: command.at,
            actor: command.actor,
          },
        },
      ]);
    case 'SendCode':
      if (!method) return err({ code: 'UnknownMethod', methodId: command.methodId });
      if (method.verifiedAt) return err({ code: 'AlreadyVerified', methodId: method.id });
      return ok([
        {
          type: 'ContactMethodCodeSent',
          data: {
            methodId: method.id,
            codeHash: command.codeHash,
            expiresAt: addMs(command.at, CODE_TTL_MS),
            at: command.at,
          },
        },
      ]);
    case 'ConfirmCode': {
      if (!method) return err({ code: 'UnknownMethod', methodId: command.methodId });
      if (method.verifiedAt) return err({ code: 'AlreadyVerified', methodId: method.id });
      if (!method.code) return err({ code: 'NoCodeSent', methodId: method.id });
      if (method.code.wrongGuesses >= CODE_ATTEMPTS) return err({ code: 'TooManyAttempts', methodId: method.id });
      if (instantMs(command.at) >= instantMs(method.code.expiresAt))
        return err({ code: 'CodeExpired', methodId: method.id });
      if (method.code.hash !== command.codeHash)
        return err({
          code: 'WrongCode',
          methodId: method.id,
          attemptsLeft: CODE_ATTEMPTS - method.code.wrongGuesses - 1,
          record: [{ type: 'ContactMethodCodeRejected', data: { methodId: method.id, at: command.at } }],
        });
      return ok([{ type: 'ContactMethodVerified', data: { methodId: method.id, at: command.at } }]);
    }
    case 'RemoveMethod':
      if (!method) return err({ code: 'UnknownMethod', methodId: command.methodId });
      return ok([
        { type: 'ContactMethodRemoved', data: { methodId: method.id, at: command.at, actor: command.actor } },
      ]);
  }
}

export function evolveContactMethods(state: ContactMethodsState, event: ContactMethodEvent): ContactMethodsState {
  const d = event.data;
  const method = state[d.methodId];
  switch (event.type) {
    case 'ContactMethodAdded':
      return {
        ...state,
        [d.methodId]: { id: d.methodId, type: event.data.methodType, to: event.data.to, addedAt: d.at },
      };
    case 'ContactMethodCodeSent':
      return method
        ? {
            ...state,
            [d.methodId]: {
              ...method,
              code: { hash: event.data.codeHash, expiresAt: event.data.expiresAt, wrongGuesses: 0 },
            },
          }
        : state;
    case 'ContactMethodCodeRejected':
      return method?.code
        ? {
            ...state,
            [d.methodId]: { ...method, code: { ...method.code, wrongGuesses: method.code.wrongGuesses + 1 } },
          }
        : state;
    case 'ContactMethodVerified': {
      if (!method) return state;
      const { code: _spent, ...rest } = method;
      return { ...state, [d.methodId]: { ...rest, verifiedAt: d.at } };
    }
    case 'ContactMethodRemoved': {
      const { [d.methodId]: _removed, ...rest } = state;
      return rest;
    }
  }
}

export const contactMethodsOf = (events: Iterable<ContactMethodEvent>): ContactMethodsState => {
  let state = initialContactMethods();
  for (const e of events) state = evolveContactMethods(state, e);
  return state;
};
