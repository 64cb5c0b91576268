import { resolve } from 'node:path';
import { ConfigError, loadConfig, type KlaxonConfig } from '@klaxon/config';
import { createRouter, rosterFor, toInstant } from '@klaxon/domain';
import { RefusedError, UsageError } from './cli-errors.ts';
import { table, type Out } from './output.ts';

/** A path as the user meant it: relative to where `pnpm klaxon` was run, not to the package. */
export const userPath = (file: string, env: NodeJS.ProcessEnv) => resolve(env.INIT_CWD ?? process.cwd(), file);

/** A configuration file, its problems as a refusal (exit 1). */
export function load(file: string, env: NodeJS.ProcessEnv): KlaxonConfig {
  try {
    return loadConfig(userPath(file, env), env);
  } catch (error) {
    if (error instanceof ConfigError) throw new RefusedError(error.message);
    throw error;
  }
}

const fmtMs = (ms: number | undefined) => {
  if (ms === undefined) return '—';
  const minutes = ms / 60_000;
  if (minutes < 60) return `${minutes}m`;
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
};
const matchText = (match: Record<string, string>) =>
  Object.entries(match)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') || '(catch-all)';

/** `klaxon check-config [file]`: offline, like `amtool check-config`. */
export function checkConfig(args: string[], out: Out, env: NodeJS.ProcessEnv): void {
  const file = args[0] ?? env.KLAXON_CONFIG ?? 'klaxon.yaml';
  const config = load(file, env);
  if (out.format === 'json') {
    return out.json({
      file: userPath(file, env),
      valid: true,
      routes: config.routes,
      policies: Object.keys(config.policies),
      schedules: Object.keys(config.schedules),
    });
  }
  out.print(`Checking '${file}'  SUCCESS\n`);
  out.print('Severities:');
  out.print(
    table(
      ['severity', 'ack timeout', 'escalate after', 'status every', 'response', 'resolution'],
      Object.entries(config.severities).map(([name, s]) => [
        name,
        fmtMs(s.ackTimeout),
        s.escalateAfter.length ? s.escalateAfter.map(fmtMs).join(', ') : 'never',
        fmtMs(s.statusUpdateEvery),
        fmtMs(s.responseTarget),
        fmtMs(s.resolutionTarget),
      ]),
    ),
  );
  out.print('\nRoutes (first match wins unless continue):');
  out.print(
    table(
      ['#', 'match', 'severity', 'policy', 'continue'],
      config.routes.map((r, i) => [
        i + 1,
        matchText(r.match),
        r.severity ?? 'from labels',
        r.policy,
        r.continue ? 'yes' : 'no',
      ]),
    ),
  );
  out.print('\nPolicies:');
  out.print(
    table(
      ['policy', 'level', 'targets', 'channels'],
      Object.entries(config.policies).flatMap(([name, p]) =>
        Object.entries(p.levels).map(([level, l]) => [name, level, l!.targets.join(', '), l!.channels.join(', ')]),
      ),
    ),
  );
  out.print('\nSchedules:');
  out.print(
    table(
      ['schedule', 'zone', 'rotation', 'handoff', 'members', 'overrides'],
      Object.entries(config.schedules).map(([name, s]) => [
        name,
        s.timezone,
        s.rotation,
        `${s.rotation === 'weekly' ? `${s.handoffDay} ` : ''}${s.handoff}`,
        s.members.join(', '),
        s.overrides.length,
      ]),
    ),
  );
}

/** `klaxon routes test label=value …`: route, policy, severity, and whom it would page now. */
export function routesTest(
  args: string[],
  flags: { config?: string; at?: string },
  out: Out,
  env: NodeJS.ProcessEnv,
): void {
  if (args.length === 0)
    throw new UsageError('routes test needs labels: klaxon routes test alertname=DiskFull severity=critical');
  const labels: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new UsageError(`"${arg}" is not label=value`);
    labels[arg.slice(0, eq)] = arg.slice(eq + 1);
  }
  const config = load(flags.config ?? env.KLAXON_CONFIG ?? 'klaxon.yaml', env);
  const router = createRouter(config.routes, config.severityFrom, config.rules);
  const at = toInstant(flags.at ? new Date(flags.at) : new Date());
  const matches = router.route(labels);
  const immediate = router.immediateLevel(labels);
  const result = matches.map((m) => {
    const roster = rosterFor(config.policies[m.policy]!, config.contacts, config.schedules, at);
    const level = immediate ? `L${immediate}` : 'L1';
    const targets = roster[level as 'L1'];
    const byContact = new Map<string, string[]>();
    for (const t of targets) byContact.set(t.contact, [...(byContact.get(t.contact) ?? []), t.channel]);
    const pages = [...byContact].map(([contact, channels]) => ({ contact, channels }));
    return {
      route: m.routeIndex + 1,
      match: matchText(config.routes[m.routeIndex]!.match),
      policy: m.policy,
      severity: m.severity,
      level,
      pages,
    };
  });
  if (out.format === 'json') return out.json({ labels, at, matches: result });
  if (result.length === 0)
    throw new RefusedError('no route matches these labels: the alert would be dropped (add a catch-all route)');
  out.print(
    table(
      ['route', 'match', 'severity', 'policy', 'first level', 'pages now'],
      result.map((r) => [
        r.route,
        r.match,
        r.severity,
        r.policy,
        r.level,
        r.pages.map((p) => `${p.contact} (${p.channels.join(', ')})`).join('; ') || 'nobody reachable',
      ]),
    ),
  );
}
