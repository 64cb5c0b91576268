import type { ZodError } from 'zod';

export interface Problem {
  path: string;
  message: string;
}

/** A 400's body: every problem found, each with where it is, so a sender can fix them all at once. */
export const problemsOf = (error: ZodError): Problem[] =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
