/** What the time-to-page bench asks of its probe thread, and what it answers. */
export interface ProbeRequest {
  ingest: number;
  webhookToken: string;
  first: number;
  count: number;
  everyMs: number;
}

export interface Probe {
  n: number;
  /** When ingest answered 202 (this machine's clock, as the services' store times). */
  accepted: number;
  /** From the 202 to the SMS at the Twilio stand-in. */
  ms: number;
}

export const probePhone = (n: number) => `+1555020${String(n).padStart(4, '0')}`;
