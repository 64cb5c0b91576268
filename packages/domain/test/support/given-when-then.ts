import { expect } from 'vitest';
import {
  decide,
  evolveAll,
  initialState,
  type IncidentCommand,
  type IncidentErrorCode,
  type IncidentEvent,
} from '../../src/index.ts';

/** given(history).when(command).then(newEvents) — the emmett shape, over the incident decider. */
export function given(...history: IncidentEvent[]) {
  const state = evolveAll(history, initialState());
  return {
    when(command: IncidentCommand) {
      const result = decide(command, state);
      return {
        then(expected: IncidentEvent[]) {
          expect(result).toEqual({ ok: true, value: expected });
        },
        thenIncludes(...expected: IncidentEvent[]) {
          if (!result.ok) throw new Error(`expected events, got error ${result.error.code}`);
          expect(result.value).toEqual(expect.arrayContaining(expected));
        },
        thenNothing() {
          expect(result).toEqual({ ok: true, value: [] });
        },
        thenFails(code: IncidentErrorCode) {
          expect(result.ok).toBe(false);
          if (!result.ok) expect(result.error.code).toBe(code);
        },
      };
    },
  };
}
