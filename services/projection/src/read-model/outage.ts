/**
 * Whether a failure is the database's own (unreachable, cut, locked, out of room) rather than a refusal of
 * what was asked of it: such a failure is waited out, never blamed on the event being applied.
 */
export function isDatabaseOutage(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|NOMEM|INTERRUPT|CORRUPT|NOTADB)/.test(code))
      return true;
    // SQLSTATE classes: connection exception, transaction rollback, insufficient resources, object not in
    // prerequisite state (a database refusing connections), operator intervention, system and internal
    // errors, invalid catalog name, invalid authorisation.
    if (/^(08|40|53|55|57|58|XX|3D|28)[0-9A-Z]{3}$/.test(code)) return true;
    // Node's socket errors: ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…
    if (/^E[A-Z]+$/.test(code)) return true;
  }
  const message = (error as Error | undefined)?.message ?? '';
  return /connection terminated|connection timeout|timeout exceeded|not queryable|pool after calling end|database connection is not open/i.test(
    message,
  );
}
