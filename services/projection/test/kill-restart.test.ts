import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openSqliteEventStore } from '@klaxon/event-store';
import { freePort, RUNBOOK_SEVERITIES_YAML, syntheticIncident, tempDir } from '@klaxon/testing';
import { expect, it } from 'vitest';
import { openSqliteDatabase, rebuildReadModels, type SqlDatabase } from '../src/index.ts';
import { readCheckpoint, LIVE } from '../src/read-model/schema.ts';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const INCIDENTS = 8000;

const snapshot = async (db: SqlDatabase) => ({
  incidents: await db.all(`SELECT * FROM ${LIVE.incidents} ORDER BY incident_id`),
  pages: await db.all(`SELECT * FROM ${LIVE.pages} ORDER BY incident_id, page_id`),
});

it(
  'a projection process killed with SIGKILL mid-catch-up and restarted holds exactly what a clean rebuild holds',
  { timeout: 120_000 },
  async () => {
    const dir = tempDir('klaxon-kill-');
    const store = openSqliteEventStore(dir.file('events.db'));
    for (let n = 0; n < INCIDENTS; n++) await store.append(`incident-i${n}`, syntheticIncident(n), 'no_stream');
    const head = (await store.headPosition())!;
    writeFileSync(
      dir.file('klaxon.yaml'),
      `${RUNBOOK_SEVERITIES_YAML}\npolicies: { default: { levels: { L1: { targets: [contact:a], channels: [sms] } } } }\ncontacts: { a: { phone: "+15550000001" } }\nroutes: [{ match: {}, policy: default }]\n`,
    );
    const start = async () =>
      spawn(process.execPath, ['--import', 'tsx', MAIN], {
        env: {
          ...process.env,
          KLAXON_DATA_DIR: dir.path,
          KLAXON_CONFIG: dir.file('klaxon.yaml'),
          PROJECTION_PORT: String(await freePort()),
          KLAXON_HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      });
    const readModel = openSqliteDatabase(dir.file('kpis.db'));
    const checkpoint = async () => (await readCheckpoint(readModel, LIVE).catch(() => undefined)) ?? 0n;

    const first = await start();
    const deadline = Date.now() + 60_000;
    while ((await checkpoint()) === 0n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    const atKill = await checkpoint();
    expect(atKill > 0n && atKill < head).toBe(true);

    const second = await start();
    while ((await checkpoint()) < head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
    expect(await checkpoint()).toBe(head);

    const clean = openSqliteDatabase(dir.file('clean.db'));
    await rebuildReadModels(store, clean);
    const [afterKill, reference] = [await snapshot(readModel), await snapshot(clean)];
    expect(afterKill.incidents).toHaveLength(INCIDENTS);
    expect(afterKill.pages).toHaveLength(INCIDENTS * 2);
    expect(afterKill).toEqual(reference);
    await Promise.all([readModel.close(), clean.close(), store.close()]);
    dir.remove();
  },
);
