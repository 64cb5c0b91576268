import { NotifierError } from './notifier.ts';

/**
 * Vonage's per-message statuses (SMS API): throttled and internal errors may pass; invalid credentials, a
 * barred account, exhausted quota or an account not enabled are Vonage's side but will not pass by waiting;
 * anything else refuses the message itself (bad number, bad sender, too long).
 */
const RETRYABLE = new Set(['1', '5']);
const ACCOUNT_FAULTS = new Set(['4', '8', '9', '11']);

/** An SDK failure as a NotifierError: an HTTP status, a per-message status, or no answer at all. */
export function vonageError(error: unknown): NotifierError {
  const failed = (
    error as { getFailedMessages?: () => Array<{ status: string; errorText?: string }> }
  ).getFailedMessages?.()[0];
  if (failed) {
    const retryable = RETRYABLE.has(failed.status);
    return new NotifierError(
      `Vonage status ${failed.status}: ${failed.errorText ?? 'message refused'}`,
      retryable,
      undefined,
      retryable || ACCOUNT_FAULTS.has(failed.status),
    );
  }
  const status = (error as { response?: { status?: number } }).response?.status;
  const retryable = status === undefined || status === 429 || status >= 500;
  return new NotifierError(
    `Vonage${status ? ` ${status}` : ''}: ${(error as Error).message ?? String(error)}`,
    retryable,
    undefined,
    retryable || status === 401 || status === 403,
  );
}
