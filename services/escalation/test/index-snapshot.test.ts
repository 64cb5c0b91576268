import { spawn } from 'node:child_process';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqliteEventStore } from '@klaxon/event-store';
import { freePort, RUNBOOK_SEVERITIES_YAML, syntheticIncident, tempDir, VirtualClock } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { startEscalation, startProviders } from './support/escalation-harness.ts';

const TOM = '+15550100003';
const headerOf = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8').split('\n', 1)[0]!) as { last: { position: string } };

it('restarted from its snapshot, escalation follows the store from where the snapshot ends: open incidents keep their timers and escalate on time, settled ones stay listed', async () => {
  const dir = tempDir('klaxon-snapshot-');
  const providers = await startProviders();
  const clock = new VirtualClock('2026-11-23T10:00:00Z');
  const first = await startEscalation({ dir, providers, clock, snapshot: true });
  await first.alert({ alertname: 'OrdersDown', severity: 'critical' });
  await first.alert({ alertname: 'CartDown', severity: 'critical' });
  await first.alert({ alertname: 'SearchSlow', severity: 'critical' });
  const [search, cart] = (await first.api('GET', '/api/v1/incidents')).json.incidents;
  await first.api('POST', `/api/v1/incidents/${cart.id}/acknowledge`, { by: 'alice' });
  await first.api('POST', `/api/v1/incidents/${search.id}/resolve`, { by: 'alice' });
  // The bundle alice's throttle held goes out, so that only the incidents' own timers are pending.
  await first.advanceTo('2026-11-23T10:02:00Z');
  const before = (await first.api('GET', '/api/v1/incidents')).json.incidents;
  const due = first.service.timers.nextDueAt();
  await first.stop();

  let followedAfter: bigint | undefined;
  const second = await startEscalation({
    dir,
    providers,
    clock,
    snapshot: true,
    wrapStore: (store) => ({
      ...store,
      subscribe: (options) => (
        options.streamPrefix === 'incident-' && (followedAfter = options.after),
        store.subscribe(options)
      ),
    }),
  });
  expect(followedAfter).toBe(BigInt(headerOf(dir.file('index.snapshot.json')).last.position));
  expect((await second.api('GET', '/api/v1/incidents')).json.incidents).toEqual(before);
  expect(second.service.index.get(search.id)).toBeUndefined();
  expect(due).toBe(Date.parse('2026-11-23T10:05:00Z'));
  expect(second.service.timers.nextDueAt()).toBe(due);
  const tomBefore = providers.twilio.messages().filter((m) => m.To === TOM).length;
  await second.advanceTo('2026-11-23T10:05:00Z');
  expect(
    second.service.index
      .summaries()
      .filter((s) => s.level === 'L2')
      .map((s) => s.title),
  ).toEqual(['OrdersDown is firing']);
  expect(providers.twilio.messages().filter((m) => m.To === TOM).length - tomBefore).toBe(1);
  // The restored state takes alerts as the one folded from the store would.
  await second.alert({ alertname: 'OrdersDown', severity: 'critical' }, { fingerprint: 'orders-2' });
  const orders = second.service.index.acting().find((i) => i.state.title === 'OrdersDown is firing')!;
  expect(orders.state.alerts.statuses()).toEqual({
    'fp-OrdersDown': 'firing',
    'orders-2': 'firing',
  });
  // Each alert's start came through the snapshot too: it tells a redelivered alert from the next occurrence.
  expect([...orders.state.alerts.values()].every((a) => Number.isFinite(Date.parse(a.startsAt)))).toBe(true);
  expect(orders.state.firingAlerts).toBe(2);
  await second.close();
  await providers.close();
  dir.remove();
});

it('a snapshot from another store, or cut short, is not used: the whole store is replayed', async () => {
  const providers = await startProviders();
  const clock = new VirtualClock('2026-11-23T10:00:00Z');
  const a = tempDir('klaxon-snapshot-a-');
  const first = await startEscalation({ dir: a, providers, clock, snapshot: true });
  await first.alert({ alertname: 'OrdersDown', severity: 'critical' });
  await first.stop();
  const b = tempDir('klaxon-snapshot-b-');
  const other = await startEscalation({ dir: b, providers, clock, snapshot: true });
  await other.alert({ alertname: 'CartDown', severity: 'critical' });
  await other.alert({ alertname: 'SearchSlow', severity: 'critical' });
  await other.stop();

  writeFileSync(b.file('index.snapshot.json'), readFileSync(a.file('index.snapshot.json')));
  const swapped = await startEscalation({ dir: b, providers, clock, snapshot: true });
  expect(
    swapped.service.index
      .summaries()
      .map((s) => s.title)
      .sort(),
  ).toEqual(['CartDown is firing', 'SearchSlow is firing']);
  await swapped.stop();

  const file = b.file('index.snapshot.json');
  truncateSync(file, readFileSync(file).length - 20);
  const torn = await startEscalation({ dir: b, providers, clock, snapshot: true });
  expect(
    torn.service.index
      .summaries()
      .map((s) => s.title)
      .sort(),
  ).toEqual(['CartDown is firing', 'SearchSlow is firing']);
  await torn.close();
  await providers.close();
  a.remove();
});

it(
  'an escalation process killed with SIGKILL restarts from the last snapshot written and folds what came after it: the same incidents as a replay of the whole store',
  { timeout: 120_000 },
  async () => {
    const dir = tempDir('klaxon-snapshot-kill-');
    const store = openSqliteEventStore(dir.file('events.db'));
    for (let n = 0; n < 3000; n++) await store.append(`incident-i${n}`, syntheticIncident(n), 'no_stream');
    writeFileSync(
      dir.file('klaxon.yaml'),
      `${RUNBOOK_SEVERITIES_YAML}policies: { default: { levels: { L1: { targets: [contact:a], channels: [sms] } } } }\ncontacts: { a: { phone: "+15550000001" } }\nroutes: [{ match: {}, policy: default }]\napi: { tokens: ["api-token-0123456789abcdef"] }\n`,
    );
    const start = async () => {
      const port = await freePort();
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))],
        {
          env: {
            ...process.env,
            KLAXON_DATA_DIR: dir.path,
            KLAXON_CONFIG: dir.file('klaxon.yaml'),
            ESCALATION_PORT: String(port),
            KLAXON_HOST: '127.0.0.1',
            LOG_LEVEL: 'info',
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let log = '';
      child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      const base = `http://127.0.0.1:${port}`;
      for (
        const deadline = Date.now() + 60_000;
        !(await fetch(`${base}/ready`).then(
          (r) => r.ok,
          () => false,
        ));
      ) {
        if (Date.now() > deadline) throw new Error(`escalation not ready:\n${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const incidents = async () => {
        const all: unknown[] = [];
        let cursor = '';
        do {
          const page = (await (
            await fetch(`${base}/api/v1/incidents?limit=1000${cursor && `&cursor=${cursor}`}`, {
              headers: { authorization: 'Bearer api-token-0123456789abcdef' },
            })
          ).json()) as { incidents: unknown[]; nextCursor: string | null };
          all.push(...page.incidents);
          cursor = page.nextCursor ?? '';
        } while (cursor);
        return all;
      };
      return { child, exited, log: () => log, incidents };
    };

    const first = await start();
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const written = BigInt(headerOf(dir.file('escalation-index.snapshot.json')).last.position);
    expect(written).toBe(await store.headPosition());
    // Written while no escalation runs: only a restart can learn of these from the store.
    for (let n = 3000; n < 3500; n++) await store.append(`incident-i${n}`, syntheticIncident(n), 'no_stream');

    const killed = await start();
    expect(killed.log()).toContain('incident index restored from its snapshot');
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(BigInt(headerOf(dir.file('escalation-index.snapshot.json')).last.position)).toBe(written);

    const restarted = await start();
    expect(restarted.log()).toMatch(
      new RegExp(`"position":"${written}","incidents":3000,"msg":"incident index restored from its snapshot`),
    );
    const fromSnapshot = await restarted.incidents();
    expect(fromSnapshot).toHaveLength(3500);
    restarted.child.kill('SIGTERM');
    await restarted.exited;

    rmSync(dir.file('escalation-index.snapshot.json'));
    const replayed = await start();
    expect(replayed.log()).toContain('no usable incident index snapshot; replaying the whole store');
    expect(await replayed.incidents()).toEqual(fromSnapshot);
    replayed.child.kill('SIGTERM');
    await replayed.exited;
    await store.close();
    dir.remove();
  },
);
