import type { Result } from '@klaxon/domain';
import type { AppendResult, ExpectedRevision, NewEvent, WrongExpectedRevision } from './event-store.ts';

export type AppendOutcome = Result<AppendResult, WrongExpectedRevision>;

/** An append waiting for its group commit: the adapters that share one transaction among appends hold these. */
export interface PendingAppend {
  streamId: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  resolve(outcome: AppendOutcome): void;
  reject(error: Error): void;
}

/** An append as both group-committing stores take it: refused when it holds no event, else handed to `enqueue` for the next commit. */
export function queueAppend(
  streamId: string,
  events: NewEvent[],
  expected: ExpectedRevision,
  enqueue: (append: PendingAppend) => void,
): Promise<AppendOutcome> {
  if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
  return new Promise<AppendOutcome>((resolve, reject) => enqueue({ streamId, events, expected, resolve, reject }));
}
