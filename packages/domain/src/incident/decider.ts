import { decide } from './decide.ts';
import { evolve } from './evolve.ts';
import { initialState } from './state.ts';

/** The incident aggregate in the decider shape: everything an event store runner needs. */
export const incidentDecider = { decide, evolve, initialState } as const;
