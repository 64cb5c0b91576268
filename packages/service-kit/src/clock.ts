/** Time is a port: production reads the wall clock, tests drive a virtual one through hours in milliseconds. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
