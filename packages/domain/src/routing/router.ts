import { LEVEL_NAMES, levelFromName, type Level, type LevelName, type Severity } from '../severity.ts';
import { compileMatcher, type LabelMatcher, type Labels, type MatchSpec } from './label-matcher.ts';

export interface RouteSpec {
  match: MatchSpec;
  severity?: Severity;
  policy: string;
  continue: boolean;
}

export interface RuleSpec {
  match: MatchSpec;
  escalateTo: LevelName;
}

/** label name → label value → severity, e.g. `severity: {critical: P1}`. */
export type SeverityFrom = Record<string, Record<string, Severity>>;

export interface RouteMatch {
  /** Position of the route in the config: one alert routed twice (`continue`) makes two incidents. */
  routeIndex: number;
  policy: string;
  severity: Severity;
}

export const DEFAULT_SEVERITY: Severity = 'P3';

const compile = (spec: MatchSpec): LabelMatcher => {
  const compiled = compileMatcher(spec);
  if (!compiled.ok) throw new Error(`invalid matcher on ${compiled.error.label}: ${compiled.error.message}`);
  return compiled.value;
};

/** Compiled once from validated config; routes are matched in order, the first wins unless it says `continue`. */
export function createRouter(routes: RouteSpec[], severityFrom: SeverityFrom, rules: RuleSpec[]) {
  const compiledRoutes = routes.map((route, routeIndex) => ({ route, routeIndex, matcher: compile(route.match) }));
  const compiledRules = rules.map((rule) => ({ level: levelFromName(rule.escalateTo), matcher: compile(rule.match) }));

  const severityLabels = Object.entries(severityFrom);
  const severityOf = (labels: Labels): Severity => {
    for (const [label, values] of severityLabels) {
      const value = labels[label];
      if (value !== undefined && values[value]) return values[value];
    }
    return DEFAULT_SEVERITY;
  };

  return {
    route(labels: Labels): RouteMatch[] {
      const matches: RouteMatch[] = [];
      for (const { route, routeIndex, matcher } of compiledRoutes) {
        if (!matcher.matches(labels)) continue;
        matches.push({ routeIndex, policy: route.policy, severity: route.severity ?? severityOf(labels) });
        if (!route.continue) break;
      }
      return matches;
    },
    /** The highest level any immediate-escalation rule asks for: at 3 a.m. the safer reading wins. */
    immediateLevel(labels: Labels): Level | undefined {
      const levels = compiledRules.filter((r) => r.matcher.matches(labels)).map((r) => r.level);
      return levels.length ? (Math.max(...levels) as Level) : undefined;
    },
  };
}

export type KlaxonRouter = ReturnType<typeof createRouter>;
export { LEVEL_NAMES };
