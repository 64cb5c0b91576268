import type { Result } from '@klaxon/domain';
import { serialiseEvents, type SerialisedEvent } from './append-errors.ts';
import type { AppendResult, ExpectedRevision, NewEvent, WrongExpectedRevision } from './event-store.ts';

export type AppendOutcome = Result<AppendResult, WrongExpectedRevision>;

/** An append waiting for its group commit: the adapters that share one transaction among appends hold these. */
export interface PendingAppend {
  streamId: string;
  /** Serialised before it joins a batch: an event JSON cannot carry is refused alone, never inside a commit. */
  events: SerialisedEvent[];
  expected: ExpectedRevision;
  resolve(outcome: AppendOutcome): void;
  reject(error: Error): void;
}

/**
 * An append as both group-committing stores take it: refused when it holds no event or an event JSON
 * cannot carry, else handed to `enqueue` for the next commit.
 */
export function queueAppend(
  streamId: string,
  events: NewEvent[],
  expected: ExpectedRevision,
  enqueue: (append: PendingAppend) => void,
): Promise<AppendOutcome> {
  if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
  const serialised = serialiseEvents(streamId, events);
  if (serialised instanceof Error) return Promise.reject(serialised);
  return new Promise<AppendOutcome>((resolve, reject) =>
    enqueue({ streamId, events: serialised, expected, resolve, reject }),
  );
}

/**
 * The appends at the head of `queue` that one transaction takes: up to `appends` of them, and no more text
 * than `chars` (but always the first). A store that sends a batch's events as one value has that value's
 * limit to keep under (PostgreSQL's json: 1 GB).
 */
export function takeBatch(queue: PendingAppend[], limits: { appends: number; chars: number }): PendingAppend[] {
  let taken = 0;
  let chars = 0;
  while (taken < queue.length && taken < limits.appends) {
    const size = queue[taken]!.events.reduce((sum, e) => sum + e.data.length + (e.metadata?.length ?? 4), 0);
    if (taken > 0 && chars + size > limits.chars) break;
    chars += size;
    taken++;
  }
  return queue.splice(0, taken);
}
