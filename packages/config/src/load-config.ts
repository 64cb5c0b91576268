import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { configSchema, type KlaxonConfig } from './schema.ts';

/** A configuration that cannot be used: says which file, which key and why, so start-up can stop with it. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: Array<{ path: string; message: string }>,
  ) {
    super(
      `${file} is not a valid Klaxon configuration:\n${problems.map((p) => `  - ${p.path || '(top level)'}: ${p.message}`).join('\n')}`,
    );
  }
}

interface Expansion {
  missing: string[];
  /** Setting path → the variable whose default filled it in. */
  defaulted: Map<string, string>;
}

/** `${VAR}` and `${VAR:-default}` in string values come from the environment, so secrets stay out of the file. */
function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, seen: Expansion): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const found = env[name] ?? fallback;
      if (found === undefined) seen.missing.push(`${path}: environment variable ${name} is not set`);
      else if (env[name] === undefined) seen.defaulted.set(path, name);
      return found ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}.${i}`, seen));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, path ? `${path}.${k}` : k, seen)]),
    );
  }
  return value;
}

/** For each configuration parsed here, which settings took a variable's default (to name the variable to set). */
const defaultsOf = new WeakMap<KlaxonConfig, Map<string, string>>();

export function parseConfig(text: string, file = 'klaxon.yaml', env: NodeJS.ProcessEnv = process.env): KlaxonConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0]! })),
    );
  }
  const { missing, defaulted }: Expansion = { missing: [], defaulted: new Map() };
  const raw = expandEnv(doc.toJS(), env, '', { missing, defaulted });
  if (missing.length > 0)
    throw new ConfigError(
      file,
      missing.map((m) => ({ path: m.split(':')[0]!, message: m.slice(m.indexOf(':') + 2) })),
    );
  const parsed = configSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
    );
  }
  defaultsOf.set(parsed.data, defaulted);
  return parsed.data;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): KlaxonConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ path: '', message: `cannot read the file: ${(error as Error).message}` }]);
  }
  return parseConfig(text, file, env);
}

/** For a service's start-up: a bad file stops it with the path and the reason, not a stack trace. */
export function loadConfigOrExit(file: string): KlaxonConfig {
  try {
    return loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`klaxon: ${error.message}\n`);
    process.exit(1);
  }
}

const shipped = (token: string) => token.startsWith(SHIPPED_SECRET_PREFIX);

/** How every secret shipped in the repository begins (klaxon.yaml's `change-me-…` tokens). */
export const SHIPPED_SECRET_PREFIX = 'change-me';

/** Where the running configuration still holds a token shipped in klaxon.yaml, which anyone can read. */
export function shippedTokensInUse(config: KlaxonConfig): string[] {
  return [
    ...Object.entries(config.integrations)
      .filter(([, { token }]) => shipped(token))
      .map(([name]) => `integrations.${name}.token`),
    ...config.api.tokens.flatMap(({ token }, i) => (shipped(token) ? [`api.tokens.${i}`] : [])),
  ];
}

/**
 * The shipped tokens a service actually uses (ingest the integrations', escalation and projection the API's),
 * each with the variable that replaces it when the file took it from a variable's default.
 */
export function shippedSecretsOf(
  config: KlaxonConfig,
  uses: { integrations?: boolean; api?: boolean },
): Array<{ setting: string; variable?: string }> {
  const defaulted = defaultsOf.get(config);
  return shippedTokensInUse(config)
    .filter((setting) => (setting.startsWith('api.') ? uses.api : uses.integrations) === true)
    .map((setting) => {
      const variable = defaulted?.get(setting);
      return variable ? { setting, variable } : { setting };
    });
}
