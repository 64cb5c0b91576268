import type { EventStore } from '@klaxon/event-store';
import { auditEntryOf, type AuditEntry } from './audit-kinds.ts';

export interface AuditQuery {
  since?: string;
  /** A name (`alice`) or a kind and a name (`service:api`). */
  actor?: string;
  /** A kind (`token.created`) or a family of kinds (`incident`). */
  kind?: string;
  limit: number;
  cursor?: string;
}

const BATCH = 1000;

const actorMatches = (entry: AuditEntry, wanted: string) =>
  entry.actor !== null &&
  (wanted.includes(':') ? `${entry.actor.kind}:${entry.actor.name}` === wanted : entry.actor.name === wanted);

const kindMatches = (entry: AuditEntry, wanted: string) => entry.kind === wanted || entry.kind.startsWith(`${wanted}.`);

/**
 * The audit log read from the event store itself, oldest first: the streams' facts with their actors,
 * nothing kept twice. The cursor is a position in the store's global order, so a page never skips or
 * repeats an entry while facts are appended behind it.
 */
export async function readAuditLog(
  store: EventStore,
  query: AuditQuery,
): Promise<{ entries: AuditEntry[]; nextCursor: string | null }> {
  const entries: AuditEntry[] = [];
  const since = query.since === undefined ? undefined : Date.parse(query.since);
  let after = query.cursor === undefined ? undefined : BigInt(query.cursor);
  for (;;) {
    const batch = await store.readAll({ after, limit: BATCH });
    for (const recorded of batch) {
      after = recorded.position;
      const entry = auditEntryOf(recorded);
      if (!entry) continue;
      if (since !== undefined && Date.parse(entry.at) < since) continue;
      if (query.actor && !actorMatches(entry, query.actor)) continue;
      if (query.kind && !kindMatches(entry, query.kind)) continue;
      entries.push(entry);
      if (entries.length === query.limit) return { entries, nextCursor: String(recorded.position) };
    }
    if (batch.length < BATCH) return { entries, nextCursor: null };
  }
}
