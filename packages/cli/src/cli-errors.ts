/** Exit codes scripts can trust: 0 ok, 1 refused or invalid, 2 usage. */
export const EXIT = { ok: 0, refused: 1, usage: 2 } as const;

/** The command line itself is wrong: unknown command, missing argument, bad flag. */
export class UsageError extends Error {}

/** Klaxon (or the configuration) said no: a 4xx/5xx answer, an invalid file, an unknown incident. */
export class RefusedError extends Error {}
