import { execFileSync } from 'node:child_process';
import { openKafkaBus } from '@klaxon/bus';
import { CONNECTIONS, firingAlertsOf, fixture, WARM } from './alert-load.ts';

const TOPIC = 'bench-broker-warm-up';
/** Groups of the warm-up's notifications, as many as the benches' own. */
const GROUPS = 400;
/** How often the compilers' share is looked at while the warm-up goes on. */
const WINDOW_SECONDS = 10;
/** The compilers are done, as on a broker that has run for days, when a window's share of a core is under this. */
const SETTLED_SHARE = 0.02;

export interface BrokerWarmUp {
  /** Seconds of traffic at least; 0: no warm-up. */
  minSeconds: number;
  /** Seconds at most, settled or not. */
  maxSeconds: number;
  /** CPU seconds so far of the broker's JIT compiler threads. */
  compilerSeconds(): number;
}

/** How the warm-up ended: its length, and the compilers' share of a core in its last window. */
export interface WarmedBroker {
  seconds: number;
  compilerShare: number;
}

/**
 * A broker that has run for days has long compiled its request path; one started seconds before a short
 * run spends much of it in its JIT compilers and in code not compiled yet (docs/benchmarks.md). This gives
 * a new broker the traffic Klaxon makes before Klaxon's services start, for `minSeconds` and then until
 * its compilers settle (under SETTLED_SHARE of a core over a window) or `maxSeconds` pass: on a slower
 * machine they take longer, and a fixed length left them compiling through the measured run. The traffic:
 * notifications of 50 alerts published through the bus port from as many senders as the benches'
 * connections (produce, acks from all replicas), read by a consumer group through the port (fetches,
 * offset commits), on a topic of its own. Klaxon's processes are new in every run and warm up only as long
 * as the bench says.
 */
export async function warmBroker(brokers: string[], partitions: number, warmUp: BrokerWarmUp): Promise<WarmedBroker> {
  if (warmUp.minSeconds <= 0) return { seconds: 0, compilerShare: NaN };
  const bus = await openKafkaBus({ brokers, partitions, clientId: 'bench-broker-warm-up' });
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;
  let compilerShare = NaN;
  let done = false;
  const watch = async () => {
    let [at, compiled] = [elapsed(), warmUp.compilerSeconds()];
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, WINDOW_SECONDS * 1000));
      const [now, compiledNow] = [elapsed(), warmUp.compilerSeconds()];
      compilerShare = (compiledNow - compiled) / (now - at);
      [at, compiled] = [now, compiledNow];
      if (now >= warmUp.maxSeconds || (now >= warmUp.minSeconds && compilerShare < SETTLED_SHARE)) done = true;
    }
  };
  try {
    const consumer = await bus.consume({ topic: TOPIC, group: TOPIC, handle: () => Promise.resolve() });
    let sent = 0;
    await Promise.all([
      watch(),
      ...Array.from({ length: CONNECTIONS }, async () => {
        while (!done) {
          const n = 2 * WARM + sent++;
          await bus.publish(TOPIC, [
            {
              key: `warm-${n % GROUPS}`,
              value: { ...fixture, groupKey: `warm-${n % GROUPS}`, alerts: firingAlertsOf(n) },
            },
          ]);
        }
      }),
    ]);
    await consumer.stop();
  } finally {
    done = true;
    await bus.close();
  }
  // The warm-up wrote hundreds of MB to the broker's log: on disk now, not in the kernel's writeback half a
  // minute later, when PostgreSQL's commits of the measured run would wait behind it.
  execFileSync('sync');
  return { seconds: elapsed(), compilerShare };
}
