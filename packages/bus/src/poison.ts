/** Failures of one kind in a row after which a record is taken for poison, unless a consumer says otherwise. */
export const DEAD_LETTER_AFTER = 5;

/**
 * What tells one failure from another: the error's name and message, with the numbers that change from one
 * try to the next (durations, ports, counts) left out, so that a record failing for one reason is seen to.
 */
export function failureKind(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  return `${typeof name === 'string' ? name : 'Error'}: ${text.replace(/\d+/g, '#')}`;
}

/** How many times in a row one record, or run of records, failed one way. */
export interface FailureTally {
  kind: string;
  attempts: number;
}

/**
 * The tally after one more failure: counted on if the record failed the same way before, from one if it
 * failed another way, and not at all during an outage of a dependency (the record is not at fault then).
 */
export async function tallyFailure(
  previous: FailureTally | undefined,
  error: unknown,
  dependencyDown: ((error: unknown) => Promise<boolean>) | undefined,
): Promise<FailureTally | undefined> {
  if (dependencyDown && (await dependencyDown(error).catch(() => true))) return undefined;
  const kind = failureKind(error);
  return previous?.kind === kind ? { kind, attempts: previous.attempts + 1 } : { kind, attempts: 1 };
}

export const poisonReason = (error: unknown, attempts: number): string =>
  `handling failed ${attempts} times the same way: ${error instanceof Error ? error.message : String(error)}`;
