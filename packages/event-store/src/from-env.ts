import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from './event-store.ts';
import { openPostgresEventStore } from './postgres-event-store.ts';
import { openSqliteEventStore } from './sqlite-event-store.ts';

export interface EventStoreEnv {
  KLAXON_DATA_DIR: string;
  DATABASE_URL?: string;
}

/** Production adapters by configuration alone: `DATABASE_URL` means PostgreSQL, unset means the embedded file. */
export async function openEventStoreFromEnv(env: EventStoreEnv): Promise<EventStore> {
  if (env.DATABASE_URL) return openPostgresEventStore({ connectionString: env.DATABASE_URL });
  mkdirSync(env.KLAXON_DATA_DIR, { recursive: true });
  return openSqliteEventStore(join(env.KLAXON_DATA_DIR, 'events.db'));
}
