import { execFileSync } from 'node:child_process';
import { openKafkaBus } from '@klaxon/bus';
import { CONNECTIONS, firingAlertsOf, fixture, WARM } from './alert-load.ts';

const TOPIC = 'bench-broker-warm-up';
/** Groups of the warm-up's notifications, as many as the benches' own. */
const GROUPS = 400;

/**
 * A broker that has run for days has long compiled its request path; one started seconds before a short
 * run spends much of it in its JIT compilers and in code not compiled yet (docs/benchmarks.md). This gives
 * a new broker `seconds` of the traffic Klaxon makes, before Klaxon's services start: notifications of 50
 * alerts published through the bus port from as many senders as the benches' connections (produce, acks
 * from all replicas), read by a consumer group through the port (fetches, offset commits), on a topic of
 * its own. Klaxon's processes are new in every run and warm up only as long as the bench says.
 */
export async function warmBroker(brokers: string[], seconds: number, partitions: number): Promise<void> {
  if (seconds <= 0) return;
  const bus = await openKafkaBus({ brokers, partitions, clientId: 'bench-broker-warm-up' });
  try {
    const consumer = await bus.consume({ topic: TOPIC, group: TOPIC, handle: () => Promise.resolve() });
    const end = performance.now() + seconds * 1000;
    let sent = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) {
          const n = 2 * WARM + sent++;
          await bus.publish(TOPIC, [
            {
              key: `warm-${n % GROUPS}`,
              value: { ...fixture, groupKey: `warm-${n % GROUPS}`, alerts: firingAlertsOf(n) },
            },
          ]);
        }
      }),
    );
    await consumer.stop();
  } finally {
    await bus.close();
  }
  // The warm-up wrote hundreds of MB to the broker's log: on disk now, not in the kernel's writeback half a
  // minute later, when PostgreSQL's commits of the measured run would wait behind it.
  execFileSync('sync');
}
