import { percentile } from './stats.ts';

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  /** The n-th request's JSON body. */
  body: (n: number) => string;
  /** Alerts each request carries, to report alerts/s. */
  alertsPerRequest: number;
  connections: number;
  seconds: number;
  /** The answer every request must get. */
  status: number;
}

/** Closed-loop load: `connections` clients each POST again as soon as the last answer came, for `seconds`. */
export async function httpLoad(o: LoadOptions): Promise<{ alertsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const latencies: number[] = [];
  let sent = 0;
  const end = performance.now() + o.seconds * 1000;
  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (performance.now() < end) {
        const payload = o.body(sent++);
        const start = performance.now();
        const response = await fetch(o.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...o.headers },
          body: payload,
        });
        if (response.status !== o.status)
          throw new Error(`${o.url} answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
        latencies.push(performance.now() - start);
      }
    }),
  );
  return {
    alertsPerSecond: (latencies.length * o.alertsPerRequest) / o.seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}
