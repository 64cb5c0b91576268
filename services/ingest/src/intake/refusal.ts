/** One alert of a request that is not taken, and why; its siblings are. */
export interface Refusal {
  /** The alert's position in the request (0 for a generic event). */
  index: number;
  path: string;
  message: string;
  reason: RefusalReason;
}

export type RefusalReason = 'instant_out_of_range' | 'too_large';

export const instantRefusal = (index: number, path: string): Refusal => ({
  index,
  path,
  message: 'an instant outside years 0001–9999 once in UTC: no store here can keep it',
  reason: 'instant_out_of_range',
});

export const sizeRefusal = (index: number, path: string, bytes: number, limit: number): Refusal => ({
  index,
  path,
  message: `${bytes} bytes as JSON, over the ${limit} bytes an alert may take: the bus could never carry it`,
  reason: 'too_large',
});
