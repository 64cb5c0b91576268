import { err, ok, type Result } from '../result.ts';

export type Labels = Record<string, string>;

/**
 * A route's `match` block: `label: value` is equality, `label: ~regex` a regular expression.
 * Regexes are anchored at both ends, as in Prometheus and Alertmanager, so `~db` does not match `mydb2`.
 */
export type MatchSpec = Record<string, string>;

export interface LabelMatcher {
  readonly spec: MatchSpec;
  matches(labels: Labels): boolean;
}

export interface MatcherError {
  code: 'InvalidMatcher';
  label: string;
  message: string;
}

export function compileMatcher(spec: MatchSpec): Result<LabelMatcher, MatcherError> {
  const tests: Array<(labels: Labels) => boolean> = [];
  for (const [label, expected] of Object.entries(spec)) {
    if (expected.startsWith('~')) {
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${expected.slice(1)})$`);
      } catch (e) {
        return err({ code: 'InvalidMatcher', label, message: (e as Error).message });
      }
      tests.push((labels) => regex.test(labels[label] ?? ''));
    } else {
      tests.push((labels) => labels[label] === expected);
    }
  }
  return ok({ spec, matches: (labels) => tests.every((test) => test(labels)) });
}
