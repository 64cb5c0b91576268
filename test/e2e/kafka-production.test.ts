import {
  alertmanagerAvailable,
  freshDatabase,
  kafkaForTests,
  postgresAvailable,
  startLocalKafka,
  tempDir,
  type KafkaForTests,
} from '@klaxon/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { alertToPageToKpi } from './alert-to-page-scenario.ts';
import { startService } from './klaxon-process.ts';
import {
  deliveries,
  expectEachPagedOnce,
  faultStack,
  incidents,
  startReady,
  timeline,
  trigger,
  until,
} from './kafka-stack.ts';

const suite = 'Kafka + PostgreSQL end to end and fault tests (three processes, a real broker)';
const prerequisites = alertmanagerAvailable(suite) && (await postgresAvailable(suite));
const kafka = prerequisites ? await kafkaForTests(suite) : undefined;
afterAll(async () => kafka?.stop());
const brokers = () => (kafka as KafkaForTests).brokers.join(',');

describe.runIf(kafka)(
  `the production stack on Kafka (${kafka?.via}) and PostgreSQL, each service its own process`,
  () => {
    it('passes the same alert → page → KPI test as the embedded default', { timeout: 120_000 }, async () => {
      const database = await freshDatabase();
      // Each service its own data dir: nothing is shared but Kafka and PostgreSQL.
      const dirs = [tempDir('klaxon-k-ingest-'), tempDir('klaxon-k-escalation-'), tempDir('klaxon-k-projection-')];
      await alertToPageToKpi(async (env) => {
        const services = (['ingest', 'escalation', 'projection'] as const).map((name, i) =>
          startService(name, {
            ...env,
            DATABASE_URL: database.url,
            KAFKA_BROKERS: brokers(),
            // Required outside the embedded default, so that every instance signs and checks the same links.
            KLAXON_LINK_SECRET: 'kafka-e2e-link-secret-0000000001',
            KAFKA_PARTITIONS: '3',
            KLAXON_DATA_DIR: dirs[i]!.path,
          }),
        );
        return {
          async stop() {
            const codes = await Promise.all(services.map((s) => s.stop()));
            services.forEach((s, i) =>
              expect(
                codes[i],
                `${['ingest', 'escalation', 'projection'][i]}:\n${s.output().split('\n').slice(-15).join('\n')}`,
              ).toBe(0),
            );
            await database.drop();
            for (const dir of dirs) dir.remove();
          },
        };
      });
    });
  },
);

describe.runIf(kafka?.local)('faults of the production stack on a real broker', () => {
  it(
    'the broker killed mid-stream: ingest answers 503 with Retry-After, nothing answered 202 is lost, consumption resumes by itself',
    { timeout: 300_000 },
    async () => {
      // A broker of its own: it is killed, and the topics and groups of the other tests must not matter.
      const broker = await startLocalKafka();
      const stack = await faultStack(broker.brokers, { KAFKA_PARTITIONS: '3' });
      const { env, twilio } = stack;
      const dirs = [tempDir('klaxon-kf-i-'), tempDir('klaxon-kf-e-')];
      const ingest = await startReady('ingest', { ...env, KLAXON_DATA_DIR: dirs[0]!.path });
      const escalation = await startReady('escalation', { ...env, KLAXON_DATA_DIR: dirs[1]!.path });
      try {
        const answers: Array<{ key: string; status: number; retryAfter: string | null; phase: string }> = [];
        const send = async (phase: string, count: number) => {
          for (let i = 0; i < count; i++) {
            const key = `${phase}-${i}`;
            answers.push({ key, phase, ...(await trigger(ingest.port, key)) });
          }
        };
        await send('before', 20);
        await broker.kill();
        // While it is down: every answer is a 503 with Retry-After (none hangs, none is a 202).
        await send('down', 3);
        const restartedAt = Date.now();
        await broker.start();
        await send('after', 20);

        const down = answers.filter((a) => a.phase === 'down');
        expect(down.map((a) => [a.status, a.retryAfter])).toEqual(down.map(() => [503, '5']));
        const accepted = answers.filter((a) => a.status === 202).map((a) => `alert ${a.key}`);
        expect(accepted.length).toBeGreaterThanOrEqual(38);
        const seen = await until(
          'an incident for every alert answered 202',
          async () => {
            const titles = new Set((await incidents(escalation.port)).map((i) => i.title));
            return accepted.every((t) => titles.has(t)) ? titles : undefined;
          },
          120_000,
        );
        expect(accepted.filter((t) => !seen.has(t))).toEqual([]);
        console.info(
          `broker restart: ${broker.startMs} ms to listen again; all ${accepted.length} accepted alerts open ${Date.now() - restartedAt} ms after the restart began`,
        );
        // Each one paged L1 once: nothing lost, nothing doubled by the producer's retries.
        const ids = (await incidents(escalation.port)).map((i) => i.id);
        expect(ids).toHaveLength(seen.size);
        const l1 = () => deliveries(escalation.port, ids, 1, 'alice');
        await until(
          'an L1 page per incident',
          async () => ([...(await l1()).values()].every((sids) => sids.length > 0) ? true : undefined),
          60_000,
        );
        await new Promise((r) => setTimeout(r, 1000));
        expectEachPagedOnce(await l1(), twilio, '+15550100001');
      } finally {
        await Promise.all([ingest.process.stop(), escalation.process.stop()]);
        await broker.stop();
        await stack.remove();
        for (const dir of dirs) dir.remove();
      }
    },
  );

  it(
    'an escalation instance frozen (SIGSTOP) past its session: the other takes over, every timer fires once, no page is lost or doubled',
    { timeout: 300_000 },
    async () => {
      const broker = await startLocalKafka();
      const stack = await faultStack(broker.brokers, {
        KAFKA_PARTITIONS: '4',
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        // Both instances sign links alike, as a deployment of several instances must.
        KLAXON_LINK_SECRET: 'kafka-e2e-link-secret-0000000001',
      });
      const { env, twilio } = stack;
      const dirs = [tempDir('klaxon-ks-i-'), tempDir('klaxon-ks-a-'), tempDir('klaxon-ks-b-')];
      const ingest = await startReady('ingest', { ...env, KLAXON_DATA_DIR: dirs[0]!.path });
      const a = await startReady('escalation', { ...env, KLAXON_DATA_DIR: dirs[1]!.path });
      const b = await startReady('escalation', { ...env, KLAXON_DATA_DIR: dirs[2]!.path });
      const assigned = (output: string) => {
        const lines = output.split('\n').filter((l) => l.includes('bus partitions assigned'));
        const last = lines.at(-1);
        return last ? (JSON.parse(last) as { partitions: number[] }).partitions : [];
      };
      try {
        await until('both instances holding partitions', () =>
          assigned(a.process.output()).length > 0 && assigned(b.process.output()).length > 0 ? true : undefined,
        );
        const keys = Array.from({ length: 12 }, (_, i) => `frozen-${i}`);
        for (const key of keys) expect((await trigger(ingest.port, key)).status).toBe(202);
        const open = await until('an incident for every key', async () => {
          const all = await incidents(b.port);
          return all.length === keys.length ? all : undefined;
        });
        const ids = open.map((i) => i.id);
        const paged = async (level: number, contact: string) =>
          [...(await deliveries(b.port, ids, level, contact)).values()].every((sids) => sids.length > 0)
            ? true
            : undefined;
        await until('an L1 page for every incident', () => paged(1, 'alice'));

        const frozenAt = Date.now();
        a.process.process.kill('SIGSTOP');
        await until(
          'the other instance holding every partition',
          () => (assigned(b.process.output()).length === 4 ? true : undefined),
          60_000,
        );
        const failoverMs = Date.now() - frozenAt;
        // The ack timeouts (20 s after opening) fall due while A is frozen: B fires all of them.
        await until('an L2 page for every incident', () => paged(2, 'tom'), 60_000);
        a.process.process.kill('SIGCONT');
        // A wakes with overdue timers and a stale picture: it must not fire or page for what it lost.
        await until(
          'A rejoining the group',
          () => (assigned(a.process.output()).length > 0 ? true : undefined),
          60_000,
        );
        await new Promise((r) => setTimeout(r, 3000));

        expectEachPagedOnce(await deliveries(b.port, ids, 1, 'alice'), twilio, '+15550100001');
        expectEachPagedOnce(await deliveries(b.port, ids, 2, 'tom'), twilio, '+15550100003');
        for (const incident of open) {
          const escalations = (await timeline(b.port, incident.id)).filter((e) => e.type === 'Escalated');
          expect(escalations, incident.title).toHaveLength(1);
        }
        expect(a.process.output()).not.toMatch(/"level":(50|60)/);
        console.info(
          `failover: the survivor held every partition ${failoverMs} ms after the other froze (session timeout 6000 ms)`,
        );
      } finally {
        a.process.process.kill('SIGCONT');
        await Promise.all([ingest.process.stop(), a.process.stop(), b.process.stop()]);
        await broker.stop();
        await stack.remove();
        for (const dir of dirs) dir.remove();
      }
    },
  );
});
