/** Delivery retries: 30 s, 1 min, 2 min after successive failures, then the page is given up. */
export const MAX_PAGE_ATTEMPTS = 4;
const FIRST_RETRY_MS = 30_000;

export const retryDelayMs = (attempt: number): number => FIRST_RETRY_MS * 2 ** (attempt - 1);
/** A provider's Retry-After is honoured to the second, but a retry never comes sooner than this. */
export const MIN_RETRY_AFTER_MS = 1000;
