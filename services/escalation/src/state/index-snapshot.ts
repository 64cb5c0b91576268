import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setImmediate } from 'node:timers/promises';
import type { IncidentJson } from '@klaxon/domain';
import type { EventStore } from '@klaxon/event-store';
import { z } from 'zod';
import type { IncidentSummary } from './incident-summary.ts';

/** Bumped whenever the incident state or summary changes shape: an older snapshot is then not used. */
export const INDEX_SNAPSHOT_VERSION = 3;

/**
 * The incident index written down, so that a restart folds only the events after it instead of the whole
 * history. It is a cache of the store, never a source of truth: whatever is wrong with it (missing, torn,
 * another version, from another store) costs one full replay, nothing else.
 *
 * On disk it is one JSON line per entry, after a header line and before a trailer that counts them: read
 * and written a line at a time, it never needs the whole file as one string in memory, and writing it
 * gives the event loop back between chunks.
 */
export interface SnapshotHeader {
  version: number;
  /** The last store event folded into it; the store is followed again from there. */
  last: { position: string; streamId: string; revision: number; eventId: string };
  highestNumber: number;
  highestBundle: number;
}

export type SnapshotEntry =
  /** An incident that may still act, whole. */
  | ['acting', string, number, IncidentJson & { exists: true }]
  /** A settled incident's summary, with the contacts it went to by SMS. */
  | ['settled', string, number, IncidentSummary, string[]]
  /** The latest generation of a group slot. */
  | ['generation', string, number];

export interface IndexSnapshot {
  header: SnapshotHeader;
  /** Taken at one instant (states are immutable), serialised later. */
  entries: SnapshotEntry[];
}

const header = z.object({
  version: z.literal(INDEX_SNAPSHOT_VERSION),
  last: z.object({
    position: z.string().regex(/^\d+$/),
    streamId: z.string(),
    revision: z.number().int().min(0),
    eventId: z.string(),
  }),
  highestNumber: z.number().int(),
  highestBundle: z.number().int(),
});
const trailer = z.object({ entries: z.number().int() });
// Entries are this service's own writing at this version: only their kind is checked, because checking
// 100,000 incidents field by field would cost the seconds the snapshot is there to save.
const KINDS = new Set(['acting', 'settled', 'generation']);

export type SnapshotLoad = { header: SnapshotHeader; entries: number } | { header: undefined; reason: string };

/**
 * Reads a snapshot, handing each entry to `onEntry` as it is read, once the header is known to fit this
 * build and the store still holds the event it ends at (a store rebuilt or swapped does not). When the
 * answer is no header, entries may have been handed out already: the caller starts over without them.
 */
export async function loadIndexSnapshot(
  path: string,
  store: EventStore,
  onHeader: (h: SnapshotHeader) => void,
  onEntry: (e: SnapshotEntry) => void,
): Promise<SnapshotLoad> {
  const input = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    let read: SnapshotHeader | undefined;
    let count = 0;
    for await (const line of lines) {
      const value: unknown = JSON.parse(line);
      if (!read) {
        const checked = header.safeParse(value);
        if (!checked.success) {
          const version = (value as { version?: unknown } | null)?.version;
          return {
            header: undefined,
            reason:
              version !== INDEX_SNAPSHOT_VERSION
                ? `version ${String(version)}; this build reads ${INDEX_SNAPSHOT_VERSION}`
                : 'not a snapshot of the incident index',
          };
        }
        read = checked.data;
        const [event] = await store.readStream(read.last.streamId, read.last.revision);
        if (event?.eventId !== read.last.eventId || event.position !== BigInt(read.last.position)) {
          return {
            header: undefined,
            reason: `the store does not hold the event it ends at (${read.last.streamId}@${read.last.revision}): taken from another store`,
          };
        }
        onHeader(read);
      } else if (Array.isArray(value) && KINDS.has(value[0])) {
        onEntry(value as SnapshotEntry);
        count++;
      } else {
        const end = trailer.safeParse(value);
        if (end.success && end.data.entries === count) return { header: read, entries: count };
        return { header: undefined, reason: 'its trailer does not match its entries' };
      }
    }
    return { header: undefined, reason: read ? 'cut short: no trailer' : 'empty' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { header: undefined, reason: 'none written yet' };
    if (error instanceof SyntaxError) return { header: undefined, reason: `unreadable: ${error.message}` };
    throw error;
  } finally {
    lines.close();
    input.destroy();
  }
}

const CHUNK = 2000;

/** Writes a snapshot whole or not at all: to a temporary file, then renamed over the last one. */
export async function writeIndexSnapshot(path: string, snapshot: IndexSnapshot): Promise<void> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  const out = createWriteStream(temporary, { flush: true });
  const closed = new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.once('close', resolve);
  });
  try {
    out.write(`${JSON.stringify(snapshot.header)}\n`);
    for (let i = 0; i < snapshot.entries.length; i += CHUNK) {
      const chunk = snapshot.entries
        .slice(i, i + CHUNK)
        .map((e) => JSON.stringify(e))
        .join('\n');
      if (!out.write(`${chunk}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      await setImmediate();
    }
    out.end(`${JSON.stringify({ entries: snapshot.entries.length })}\n`);
    await closed;
    await rename(temporary, path);
  } catch (error) {
    out.destroy();
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
