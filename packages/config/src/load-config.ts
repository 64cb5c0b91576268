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

/** `${VAR}` and `${VAR:-default}` in string values come from the environment, so secrets stay out of the file. */
function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path: string, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const found = env[name] ?? fallback;
      if (found === undefined) missing.push(`${path}: environment variable ${name} is not set`);
      return found ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}.${i}`, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, env, path ? `${path}.${k}` : k, missing)]),
    );
  }
  return value;
}

export function parseConfig(text: string, file = 'klaxon.yaml', env: NodeJS.ProcessEnv = process.env): KlaxonConfig {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0]! })),
    );
  }
  const missing: string[] = [];
  const raw = expandEnv(doc.toJS(), env, '', missing);
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
    const config = loadConfig(file);
    const insecure = shippedTokensInUse(config);
    if (insecure.length > 0) {
      process.stderr.write(
        `klaxon: warning: ${insecure.join(', ')} still hold the token shipped in klaxon.yaml; set KLAXON_*_TOKEN before exposing Klaxon\n`,
      );
    }
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`klaxon: ${error.message}\n`);
    process.exit(1);
  }
}

/** Where the running configuration still holds a token shipped in klaxon.yaml, which anyone can read. */
export function shippedTokensInUse(config: KlaxonConfig): string[] {
  const shipped = (token: string) => token.startsWith('change-me');
  return [
    ...Object.entries(config.integrations)
      .filter(([, { token }]) => shipped(token))
      .map(([name]) => `integrations.${name}.token`),
    ...config.api.tokens.flatMap(({ token }, i) => (shipped(token) ? [`api.tokens.${i}`] : [])),
  ];
}
