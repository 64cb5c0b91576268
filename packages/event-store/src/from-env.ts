import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from './event-store.ts';
import { openEventStoreDbEventStore } from './eventstoredb-event-store.ts';
import { openPostgresEventStore } from './postgres-event-store.ts';
import { openSqliteEventStore } from './sqlite-event-store.ts';

export interface EventStoreEnv {
  KLAXON_DATA_DIR: string;
  DATABASE_URL?: string;
  ESDB_CONNECTION_STRING?: string;
}

/**
 * Production adapters by configuration alone: `ESDB_CONNECTION_STRING` means EventStoreDB, else
 * `DATABASE_URL` means PostgreSQL, else the embedded SQLite file.
 */
export async function openEventStoreFromEnv(env: EventStoreEnv): Promise<EventStore> {
  if (env.ESDB_CONNECTION_STRING) return openEventStoreDbEventStore(env.ESDB_CONNECTION_STRING);
  if (env.DATABASE_URL) return openPostgresEventStore({ connectionString: env.DATABASE_URL });
  mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
  return openSqliteEventStore(join(env.KLAXON_DATA_DIR, 'events.db'));
}
