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
