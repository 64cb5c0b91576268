import type { EventStore } from '@klaxon/event-store';
import { applyOrQuarantine } from './read-model/apply-or-quarantine.ts';
import { applyBatch } from './read-model/projector.ts';
import { createAtCurrentVersion, migrate } from './read-model/migrations.ts';
import { dropTables, LIVE, readCheckpoint, REBUILD, renameIndexes } from './read-model/schema.ts';
import type { SqlDatabase } from './read-model/sql-database.ts';

export interface RebuildProgress {
  events: number;
  position: bigint;
  head: bigint;
}

/**
 * Rebuilds every read model from the start of history into a second set of tables while the live ones
 * keep serving, then, holding the write lock, applies the last events and swaps the new tables in.
 */
export async function rebuildReadModels(
  store: EventStore,
  db: SqlDatabase,
  options: { batchSize?: number; onProgress?: (p: RebuildProgress) => void | Promise<void> } = {},
): Promise<{ events: number }> {
  const batchSize = options.batchSize ?? 5000;
  // The live tables are at the current schema before the rebuilt ones, made at it, replace them.
  await migrate(db);
  await db.transaction(async (tx) => {
    await dropTables(tx, REBUILD);
    await createAtCurrentVersion(tx, REBUILD, db.dialect);
  });
  let events = 0;
  const head = (await store.headPosition()) ?? 0n;
  for (;;) {
    const after = await readCheckpoint(db, REBUILD);
    const batch = await store.readAll({ after, limit: batchSize });
    if (batch.length === 0) break;
    await applyOrQuarantine(db, REBUILD, batch, () => new Date());
    events += batch.length;
    const position = batch.at(-1)!.position;
    await options.onProgress?.({ events, position, head: position > head ? position : head });
  }
  await db.transaction(async (tx) => {
    for (;;) {
      const batch = await store.readAll({ after: await readCheckpoint(tx, REBUILD), limit: batchSize });
      if (batch.length === 0) break;
      await applyBatch(tx, REBUILD, batch);
      events += batch.length;
    }
    await dropTables(tx, LIVE);
    await tx.run(`ALTER TABLE ${REBUILD.incidents} RENAME TO ${LIVE.incidents}`);
    await tx.run(`ALTER TABLE ${REBUILD.pages} RENAME TO ${LIVE.pages}`);
    await tx.run(`ALTER TABLE ${REBUILD.checkpoint} RENAME TO ${LIVE.checkpoint}`);
    await renameIndexes(tx, REBUILD, LIVE, db.dialect);
  });
  return { events };
}
