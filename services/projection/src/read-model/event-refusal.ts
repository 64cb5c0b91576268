/**
 * Whether a failure to apply an event is a refusal of that event (text or a value the database will not
 * take, a shape the schema refuses, a reducer that cannot make sense of it) rather than trouble with the
 * database (unreachable, cut, locked, full, read-only after a failover, a table missing). Only a refusal
 * may quarantine an event; anything else is waited out, so an unknown database error never sets events aside.
 */
export function isEventRefusal(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_')) return /^SQLITE_(TOOBIG|MISMATCH|CONSTRAINT)/.test(code);
    // SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation).
    if (/^[0-9A-Z]{5}$/.test(code)) return /^2[23]/.test(code);
    // Node's socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT…
    return false;
  }
  // No code: thrown by the projection's own checks, unless it is the driver saying its connection is gone.
  const message = (error as Error | undefined)?.message ?? '';
  return !/connection terminated|connection timeout|timeout exceeded|not queryable|pool after calling end|connection is not open/i.test(
    message,
  );
}
